import { Hono } from 'hono';
import { createLicenseUploadClient } from '../../src/marketplace/license-upload-client.js';
import { registerLicenseUploadApi } from '../../src/simulator/marketplace/license-upload-api.js';
import { listen } from '../../src/simulator/marketplace/listen.js';
import { createManualClock } from '../support/fakes/manual-clock.js';
import { describeLicenseDeliveryContract } from './license-delivery.contract.js';

const AK = 'SELLERAK0000CONTRACT';
const SK = 'seller-secret-key-contract-0001';

describeLicenseDeliveryContract(
  'createLicenseUploadClient over the simulated upload API',
  async () => {
    const clock = createManualClock({ start: new Date('2026-11-23T08:00:00Z'), auto: true });
    const events = new Set<string>();
    const app = new Hono();
    const api = registerLicenseUploadApi(app, {
      clock,
      sellerCredentials: () => [{ ak: AK, sk: SK }],
      knownEvent: (id) => events.has(id),
    });
    const server = await listen(app);
    return {
      delivery: createLicenseUploadClient({
        hosts: [server.url],
        ak: AK,
        sk: SK,
        clock,
        timeoutMs: 5000,
      }),
      announce: (eventId) => events.add(eventId),
      uploads: (eventId) =>
        api
          .uploads()
          .filter((u) => u.eventId === eventId)
          .map((u) => ({ sha256: u.sha256, text: u.text })),
      failNext: (code) => api.failNext({ status: code === 'CBC.0999' ? 500 : 200, code }),
      close: () => server.close(),
    };
  },
);

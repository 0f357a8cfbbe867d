import { createFakeLicenseDelivery } from '../support/fakes/license-delivery.js';
import { describeLicenseDeliveryContract } from './license-delivery.contract.js';

describeLicenseDeliveryContract('the in-memory fake', async () => {
  const delivery = createFakeLicenseDelivery();
  return {
    delivery,
    announce: (eventId) => delivery.events.add(eventId),
    uploads: (eventId) =>
      delivery.uploads
        .filter((u) => u.eventId === eventId)
        .map((u) => ({ sha256: u.sha256, text: u.text })),
    failNext: (code) => delivery.failNext(code),
    close: async () => {},
  };
});

/**
 * When a request arrived: stamped by the listener as Node hands it over (headers parsed), before
 * any middleware or route runs, so a deadline measured from it includes time spent queued behind
 * other work. Requests that did not come through a listener (in-process `app.fetch`) have none.
 *
 * @example
 *   server.prependListener('request', markArrival);
 *   const started = arrivalOf(c.env?.incoming) ?? performance.now();
 */
const stamp = Symbol('kgd.arrivedAt');

type Stamped = { [stamp]?: number };

export function markArrival(request: object): void {
  (request as Stamped)[stamp] = performance.now();
}

/** The `performance.now()` at which the request arrived, if a listener stamped it. */
export function arrivalOf(request: object | undefined): number | undefined {
  return request ? (request as Stamped)[stamp] : undefined;
}

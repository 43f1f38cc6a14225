/**
 * The notifier's port to receivers over HTTP(S). The URL is held to the policy again at send time
 * (core's notifyUrlProblem), and the name is resolved here and every address it resolves to is
 * checked before the socket connects to it: a public name that points at 127.0.0.1 or
 * 169.254.169.254 is refused unless its host is allow-listed (and the address checked is the one
 * connected to, so a second lookup cannot swap it).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { hostAllowed, internalAddress, notifyUrlProblem } from '../core/index.js';
import { WebhookRefused, type WebhookPost } from '../engine/notifier.js';

export function webhookPost(options: {
  allow: readonly string[];
  timeoutMs?: number;
  /** Name resolution (default the system's, dns.lookup); a test gives its own. */
  resolve?: (hostname: string, callback: (error: Error | null, addresses: LookupAddress[]) => void) => void;
}): WebhookPost {
  const resolve =
    options.resolve ??
    ((hostname, callback) =>
      dnsLookup(hostname, { all: true }, (error, addresses) => callback(error, addresses)));
  return (url, body, headers) =>
    new Promise<number>((done, reject) => {
      const problem = notifyUrlProblem(url, options.allow);
      if (problem) return reject(new WebhookRefused(`the notification URL ${problem}`));
      const target = new URL(url);
      const allowed = hostAllowed(target.hostname, options.allow);
      const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
        resolve(hostname, (error, addresses) => {
          if (error) return callback(error, '', 0);
          const internal = addresses.find((a) => internalAddress(a.address));
          if (internal && !allowed)
            return callback(
              new WebhookRefused(
                `${hostname} resolves to an internal address (${internal.address}) and is not on ENVCAT_NOTIFY_ALLOW`,
              ),
              '',
              0,
            );
          if (lookupOptions.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
          const first = addresses[0];
          if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
          callback(null, first.address, first.family);
        });
      };
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          lookup,
          timeout: options.timeoutMs ?? 10_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('the receiver did not answer in time')));
      req.on('error', reject);
      req.end(body);
    });
}

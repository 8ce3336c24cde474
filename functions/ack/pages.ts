import { escapeHtml } from '../../core/alerting/render/email.ts';

/** Headers of every page the ack handler serves: no caching, no indexing, no referrer, no scripts. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

/** A small page with a title and one message, every value escaped. */
export function messagePage(title: string, message: string): string {
  return [
    '<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex">',
    `<title>Seismo: ${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:40em">`,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`,
    '</body></html>',
  ].join('\n');
}

import type { ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorCode } from '@urna/domain/error-codes';

/** Answers `{"error":{"code","message"}}` with the code's status; a response already under way is cut instead. */
export function sendError(res: ServerResponse, code: ErrorCode, message: string, retryAfter?: number): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  res.writeHead(ERROR_CODES[code], headers).end(JSON.stringify({ error: { code, message } }));
}

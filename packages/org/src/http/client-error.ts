import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Requests Node's HTTP parser refuses before any route sees them (headers over 16 KB, broken
 * framing, a slow client) still answer in the API's own error format, not fastify's.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const [status, errorCode, message] = error.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'The request headers are larger than the 16 KB allowed. Send fewer or smaller headers.']
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'REQUEST_TIMEOUT', 'The request was not received in time.']
      : [400, 'BAD_REQUEST', 'The request is not valid HTTP/1.1.'];
  const body = JSON.stringify([{ message, errorCode }]);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json;charset=UTF-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

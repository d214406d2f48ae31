import { connect, type Socket } from 'node:net';

/**
 * A hand-written HTTP/1.1 client for the attacks fetch will not send: bodies cut
 * off mid-part, declared lengths never sent, endless chunked bodies. It records how
 * much of the body was written when the server's answer arrived.
 */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Body bytes written before the status line came back. */
  sentBeforeAnswer: number;
}

export interface RawRequest {
  port: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Written right after the headers. */
  body?: Buffer;
  /** Then keeps writing zero-filled chunks of this size until answered or `maxStream` bytes went out. */
  streamChunk?: number;
  maxStream?: number;
  /** Written after the streamed part (a multipart body's closing parts). */
  trailer?: Buffer;
  /** Chunked transfer encoding for the streamed part. */
  chunked?: boolean;
  /** Destroys the socket right after writing `body` (a client that goes away). */
  abortAfterBody?: boolean;
  timeoutMs?: number;
  /** Resolves at the first response head (an interim `100 Continue` included). */
  stopAtHead?: boolean;
}

export function rawHttp(r: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(r.port, '127.0.0.1');
    let answered = false;
    let sent = 0;
    let raw = Buffer.alloc(0);
    let sentBeforeAnswer = -1;
    const timer = setTimeout(() => finish(new Error(`no answer within ${r.timeoutMs ?? 15_000} ms (sent ${sent} bytes)`)), r.timeoutMs ?? 15_000);
    const finish = (err: Error | null) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) return reject(err);
      const text = raw.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, body: raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')).toString('utf8'), sentBeforeAnswer });
    };
    const complete = () => {
      const text = raw.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return false;
      if (sentBeforeAnswer < 0) sentBeforeAnswer = sent;
      if (r.stopAtHead) return true;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end))?.[1];
      return length !== undefined && raw.length - (end + 4) >= Number(length);
    };
    sock.on('data', (d: Buffer) => {
      raw = Buffer.concat([raw, d]);
      if (complete()) finish(null);
    });
    sock.on('error', () => {
      // A reset after the answer is expected (the server stops reading); before it, it is the answer.
      if (raw.length > 0 && complete()) finish(null);
      else if (raw.length > 0) finish(null);
      else if (r.abortAfterBody) finish(null);
      else finish(new Error(`connection failed before an answer (sent ${sent} bytes)`));
    });
    sock.on('close', () => {
      if (raw.length > 0) finish(null);
      else if (r.abortAfterBody) {
        answered = true;
        clearTimeout(timer);
        resolve({ status: 0, headers: {}, body: '', sentBeforeAnswer: sent });
      } else finish(new Error(`connection closed without an answer (sent ${sent} bytes)`));
    });
    sock.on('connect', async () => {
      const head = [`${r.method} ${r.path} HTTP/1.1`, `host: 127.0.0.1:${r.port}`, ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
      sock.write(head);
      if (r.body) {
        sock.write(r.body);
        sent += r.body.length;
      }
      if (r.abortAfterBody) {
        setTimeout(() => sock.destroy(), 50);
        return;
      }
      if (!r.streamChunk) return;
      const chunk = Buffer.alloc(r.streamChunk);
      const framed = r.chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
      while (!answered && raw.length === 0 && sent < (r.maxStream ?? Infinity) && !sock.destroyed) {
        const ok = sock.write(framed);
        sent += chunk.length;
        if (!ok) {
          await new Promise<void>((res) => {
            const t = setTimeout(res, 200);
            sock.once('drain', () => {
              clearTimeout(t);
              res();
            });
          });
        }
      }
      if (!answered && raw.length === 0 && !sock.destroyed && r.trailer) {
        sock.write(r.trailer);
        sent += r.trailer.length;
      }
      if (!answered && raw.length === 0 && !sock.destroyed && r.chunked) sock.write('0\r\n\r\n');
    });
  });
}

/** Basic auth header value for a Copr API token. */
export function basic(login: string, token: string): string {
  return `Basic ${Buffer.from(`${login}:${token}`).toString('base64')}`;
}

// Bounded reads: what a service, the engine or a container sends back is read only up to a cap,
// never buffered whole. A stream past its cap is destroyed (the sender is stopped by flow control)
// and refused with a code: a proof must not judge a truncated answer, nor exhaust the memory of the
// process running `pulumi up`.
import { BootstrapError, ErrorCode } from "../../contracts/errors";

/** An HTTP body (health, Loki, Prometheus, Grafana, Alloy, Alertmanager APIs; cAdvisor's /metrics is the largest). */
export const MAX_HTTP_BODY_BYTES = 32 * 1024 * 1024;
/** What `docker exec` or a probe container prints (hashes, a password check, a probe's verdict). */
export const MAX_EXEC_OUTPUT_BYTES = 8 * 1024 * 1024;

type Source = AsyncIterable<unknown> & { destroy?: (err?: Error) => unknown };

/** Read `stream` to its end, or refuse with `code` once more than `max` bytes arrived. */
export async function readCapped(stream: Source, max: number, what: string, code: ErrorCode): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c as string);
    n += b.length;
    if (n > max) {
      stream.destroy?.();
      throw new BootstrapError(code, `${what} is larger than ${max} bytes; it was not read further`, { details: { maxBytes: max } });
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** A declared Content-Length over the cap: refused before a byte of the body is read. */
export function declaredTooLarge(headers: Record<string, string | string[] | undefined>, max: number): number | undefined {
  const v = headers["content-length"];
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) && n > max ? n : undefined;
}

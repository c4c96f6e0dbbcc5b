// Docker's multiplexed stdout/stderr stream (exec output, a container's logs without a TTY). Its own
// module so run-once.ts imports it statically: the dynamic-provider host loads TypeScript through
// tsx's require hook only, where a relative `import()` does not resolve.
/** Split Docker's multiplexed stdout/stderr stream (8-byte frame headers) into two strings. */
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const kind = buf[i];
    const size = buf.readUInt32BE(i + 4);
    const chunk = buf.subarray(i + 8, i + 8 + size);
    (kind === 2 ? err : out).push(chunk);
    i += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

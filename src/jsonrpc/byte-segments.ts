/** A body held as segments: the Buffers it arrived in, or slices of them. */

/** One Buffer for the segments (no copy when there is one). */
export function joined(segments: readonly Buffer[]): Buffer {
  return segments.length === 1 ? (segments[0] as Buffer) : Buffer.concat(segments);
}

/** Bytes [start, end) of a body held as chunks, as zero-copy slices of those chunks. */
export function sliceChunks(chunks: readonly Buffer[], start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    const chunkEnd = offset + chunk.length;
    if (chunkEnd > start && offset < end) out.push(chunk.subarray(Math.max(0, start - offset), Math.min(chunk.length, end - offset)));
    if (chunkEnd >= end) break;
    offset = chunkEnd;
  }
  return out;
}

/** Total bytes of the segments. */
export function totalLength(segments: readonly Buffer[]): number {
  let n = 0;
  for (const s of segments) n += s.length;
  return n;
}

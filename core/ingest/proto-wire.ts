/**
 * The few protobuf wire-format reads the byte readers (remote-write-reader.ts, otlp-reader.ts) need: lengths and
 * the extent of a field. Each answers -1 for what it does not read, and the reader then leaves the request to
 * protobufjs, so these need not read everything protobufjs reads, only never read something differently.
 */

/** Position after the varint, tag or field last read by {@link lengthAt} or {@link tagAt}. */
export let next = 0;

/**
 * The length varint at `at` (at most 4 bytes: under 256 MiB, more than any request holds), or -1 when there is
 * none before `end`; sets {@link next}.
 */
export function lengthAt(bytes: Uint8Array, at: number, end: number): number {
  let value = 0;
  for (let i = 0; i < 4 && at + i < end; i += 1) {
    const b = bytes[at + i] as number;
    value |= (b & 0x7f) << (7 * i);
    if (b < 0x80) {
      next = at + i + 1;
      return value;
    }
  }
  return -1;
}

/** The tag (field number << 3 | wire type) at `at`, or -1; sets {@link next}. */
export function tagAt(bytes: Uint8Array, at: number, end: number): number {
  return lengthAt(bytes, at, end);
}

/**
 * The end of the field whose tag is at `at`, or -1 when it is not a whole varint, fixed or length-delimited
 * field before `end` (groups, wire types 3 and 4, are left to protobufjs).
 */
export function fieldEnd(bytes: Uint8Array, at: number, end: number): number {
  const tag = tagAt(bytes, at, end);
  if (tag < 0) return -1;
  const from = next;
  switch (tag & 7) {
    case 0:
      for (let i = from; i < end && i < from + 10; i += 1) if ((bytes[i] as number) < 0x80) return i + 1;
      return -1;
    case 1:
      return from + 8 <= end ? from + 8 : -1;
    case 2: {
      const length = lengthAt(bytes, from, end);
      return length < 0 || next + length > end ? -1 : next + length;
    }
    case 5:
      return from + 4 <= end ? from + 4 : -1;
    default:
      return -1;
  }
}

/** A varint of at most 4 bytes at `at` as protobufjs' `uint32` reads it, or -1; sets {@link next}. */
export function smallVarintAt(bytes: Uint8Array, at: number, end: number): number {
  return lengthAt(bytes, at, end);
}

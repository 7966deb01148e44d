// Untrusted bytes from a bucket or a subject as JSON, refused before parsing when they are larger than the caller
// allows (a huge entry would cost every node that reads it), or when they are not UTF-8 JSON at all.
const decoder = new TextDecoder('utf-8', { fatal: true });

export type ParsedJson = { readonly value: unknown } | { readonly problem: string };

export function parseBoundedJson(data: Uint8Array, maxBytes: number): ParsedJson {
  if (data.length > maxBytes) return { problem: `${data.length} bytes (at most ${maxBytes})` };
  try {
    return { value: JSON.parse(decoder.decode(data)) };
  } catch {
    return { problem: 'not JSON' };
  }
}

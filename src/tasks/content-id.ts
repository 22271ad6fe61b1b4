// Stable content-based ids for generated problems: the same problem text always gets the same id,
// across runs, seeds and resumes, so results can be joined on it. (Shared by the function-calling,
// BBH and translation tasks.)

/** cyrb53: a fast, well-mixed 53-bit string hash (public domain, bryc). */
function cyrb53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** "<prefix>-<hash>" where the hash covers every part (joined unambiguously). */
export function contentId(prefix: string, ...parts: readonly string[]): string {
  return `${prefix}-${cyrb53(JSON.stringify(parts)).toString(36).padStart(11, "0")}`;
}

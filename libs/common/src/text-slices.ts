/**
 * A long text in slices of at most `size` UTF-16 units (one more where a slice would split a
 * surrogate pair: the characters outside the basic plane, as in some rare surnames, must not be
 * cut in two when each slice is encoded on its own). Slices share the text's memory until encoded.
 */
export function* textSlices(text: string, size = 256 * 1024): Generator<string> {
  for (let at = 0; at < text.length; ) {
    let end = Math.min(at + size, text.length);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end++;
    yield text.slice(at, end);
    at = end;
  }
}

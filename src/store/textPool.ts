/**
 * One copy of texts that repeat across many stored values, where each parsed answer brings its own:
 * a middleware's session names, redirect addresses and user ids are the same for every decision of a
 * viewer (or of every viewer). Bounded: past `max` texts the pool starts over, so texts that never
 * repeat cost at most the pool itself (about 30 bytes a text) and a lookup.
 */
export class TextPool {
  private readonly texts = new Map<string, string>();

  constructor(private readonly max: number) {}

  /** `text`, or the copy of it the pool already holds. */
  keep<T extends string | undefined>(text: T): T {
    if (text === undefined) return text;
    const held = this.texts.get(text);
    if (held !== undefined) return held as T;
    if (this.texts.size >= this.max) this.texts.clear();
    this.texts.set(text, text);
    return text;
  }
}

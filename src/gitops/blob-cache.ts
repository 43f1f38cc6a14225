/**
 * Blob contents by id, the least recently used dropped first beyond a size. A blob id names its
 * content, so an entry is never stale: the cache only saves reading it again (the simulated Argo
 * CD reads every file of a repo each time its head moves; most did not change).
 */
export class BlobCache {
  private readonly contents = new Map<string, string>();
  private size = 0;

  /** `limit`: the most UTF-16 code units of content kept. */
  constructor(private readonly limit: number) {}

  get(id: string): string | undefined {
    const content = this.contents.get(id);
    if (content === undefined) return undefined;
    // Most recently used last.
    this.contents.delete(id);
    this.contents.set(id, content);
    return content;
  }

  set(id: string, content: string): void {
    if (content.length > this.limit) return;
    const previous = this.contents.get(id);
    if (previous !== undefined) {
      this.contents.delete(id);
      this.size -= previous.length;
    }
    this.contents.set(id, content);
    this.size += content.length;
    for (const [oldest, dropped] of this.contents) {
      if (this.size <= this.limit) break;
      this.contents.delete(oldest);
      this.size -= dropped.length;
    }
  }
}

/**
 * Reads a `text/event-stream` body as it arrives, by the WHATWG rules for interpreting an event
 * stream (html.spec.whatwg.org, "Server-sent events", §9.2.6): `event:` and `data:` fields, `:`
 * comments, an empty line ends an event. Pure: it is fed text and gives events.
 */
export interface ServerSentEvent {
  /** The `event:` field; `message` when there is none. */
  event: string;
  /** The `data:` lines, joined by newlines. */
  data: string;
}

export class EventStreamParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  /** Feeds the next piece of the stream; returns the events it completes. */
  push(text: string): ServerSentEvent[] {
    this.buffer += text;
    const events: ServerSentEvent[] = [];
    for (;;) {
      const end = /\r\n|\n|\r/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n: wait for the next piece.
      if (!end || (end[0] === '\r' && end.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, end.index);
      this.buffer = this.buffer.slice(end.index + end[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === '') {
      const event =
        this.data.length > 0 ? { event: this.event || 'message', data: this.data.join('\n') } : undefined;
      this.event = '';
      this.data = [];
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    return undefined;
  }
}

import type { ServerResponse } from 'node:http';
import type { Cluster, Redis } from 'ioredis';
import type { ResultsSnapshot } from '@urna/tally';

export interface SnapshotSource {
  results(electionId: string): Promise<ResultsSnapshot | undefined>;
  readonly keys: { channel(electionId: string): string };
}

export interface HubOptions {
  /** Minimum time between two snapshots of one election (200 ms = at most 5 per second). */
  readonly minIntervalMs?: number;
  readonly heartbeatMs?: number;
  readonly onError?: (error: unknown) => void;
  /** After each snapshot written: seconds from the first change notice it answers to the last client written, and to how many clients. */
  readonly onBroadcast?: (seconds: number, clients: number) => void;
}

interface Room {
  readonly electionId: string;
  readonly clients: Set<ServerResponse>;
  lastSentAt: number;
  lastVersion: number;
  timer: NodeJS.Timeout | undefined;
  reading: boolean;
  dirty: boolean;
  /** When the first change notice not yet answered by a snapshot arrived. */
  noticedAt: number | undefined;
}

/** `event: final` once the official result has replaced the live counts, `event: results` before. */
export const sseFrame = (snapshot: ResultsSnapshot): string =>
  `id: ${snapshot.version}\nevent: ${snapshot.final ? 'final' : 'results'}\ndata: ${JSON.stringify(snapshot)}\n\n`;

/**
 * A frame as one HTTP/1.1 chunk (`<hex length>\r\n<frame>\r\n`), encoded once per broadcast
 * and written as-is to every client's socket: with 15,000 clients, encoding the string and
 * framing the chunk per client was most of the broadcast's cost.
 */
export function sharedChunk(frame: string): Buffer {
  const body = Buffer.from(frame, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')]);
}

/**
 * Writes a pre-framed chunk straight to the socket when the response is chunked (HTTP/1.1),
 * its headers are out and nothing is queued in it; otherwise (HTTP/1.0, backpressure) through
 * the response as usual.
 */
function writeShared(client: ServerResponse, chunk: Buffer, frame: string): void {
  const socket = client.socket;
  const chunked = (client as unknown as { chunkedEncoding?: boolean }).chunkedEncoding === true;
  if (chunked && client.headersSent && socket !== null && !client.writableEnded && client.writableLength === 0) socket.write(chunk);
  else client.write(frame);
}

/**
 * Fans results out to SSE clients. Per election and process: one Redis subscription, one
 * snapshot read per change burst, one serialised frame written to every client. Change notices
 * arriving faster than `minIntervalMs` are coalesced into the next snapshot.
 */
export class ResultsHub {
  private readonly rooms = new Map<string, Room>();
  private readonly roomOfChannel = new Map<string, Room>();
  private readonly minIntervalMs: number;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly source: SnapshotSource,
    private readonly subscriber: Redis | Cluster,
    private readonly options: HubOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 200;
    subscriber.on('message', (channel: string) => this.onNotice(channel));
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get clientCount(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.clients.size;
    return n;
  }

  /** Adds a client whose headers are already sent; sends the current snapshot unless it has it. */
  async join(electionId: string, client: ServerResponse, lastEventId: number | undefined): Promise<void> {
    let room = this.rooms.get(electionId);
    let subscribing: Promise<unknown> | undefined;
    if (room === undefined) {
      room = {
        electionId,
        clients: new Set(),
        lastSentAt: 0,
        lastVersion: -1,
        timer: undefined,
        reading: false,
        dirty: false,
        noticedAt: undefined,
      };
      const channel = this.source.keys.channel(electionId);
      this.rooms.set(electionId, room);
      this.roomOfChannel.set(channel, room);
      subscribing = this.subscriber.subscribe(channel);
    }
    // registered before any await: a client that leaves while it joins must not stay in the
    // room for good (its 'close' would fire before a later listener exists)
    room.clients.add(client);
    client.once('close', () => this.leave(electionId, client));
    if (client.destroyed || client.socket?.destroyed === true) {
      this.leave(electionId, client);
      return;
    }
    await subscribing;
    const snapshot = await this.source.results(electionId);
    // a client that already has this version gets nothing new; one ahead of it (a version from
    // before the read model was rebuilt, or a made-up id) gets the snapshot, not silence
    if (snapshot !== undefined && lastEventId !== snapshot.version && !client.destroyed) {
      client.write(sseFrame(snapshot));
    }
  }

  private leave(electionId: string, client: ServerResponse): void {
    const room = this.rooms.get(electionId);
    if (room === undefined) return;
    room.clients.delete(client);
    if (room.clients.size === 0) {
      clearTimeout(room.timer);
      const channel = this.source.keys.channel(electionId);
      this.rooms.delete(electionId);
      this.roomOfChannel.delete(channel);
      this.subscriber.unsubscribe(channel).catch((e: unknown) => this.options.onError?.(e));
    }
  }

  private onNotice(channel: string): void {
    const room = this.roomOfChannel.get(channel);
    if (room === undefined) return;
    room.noticedAt ??= Date.now();
    this.schedule(room.electionId, room);
  }

  private schedule(electionId: string, room: Room): void {
    if (room.reading) {
      room.dirty = true;
      return;
    }
    if (room.timer !== undefined) return;
    const wait = Math.max(0, room.lastSentAt + this.minIntervalMs - Date.now());
    room.timer = setTimeout(() => void this.broadcast(electionId, room), wait);
  }

  private async broadcast(electionId: string, room: Room): Promise<void> {
    room.timer = undefined;
    room.reading = true;
    room.dirty = false;
    // the window counts from the start of a broadcast: counting from its end (after the read
    // and the writes to every client) made each period longer than the window, and latency
    // crept up towards a full window under steady updates
    room.lastSentAt = Date.now();
    // notices from here on are answered by the next snapshot
    const noticedAt = room.noticedAt;
    room.noticedAt = undefined;
    try {
      const snapshot = await this.source.results(electionId);
      if (snapshot !== undefined && snapshot.version > room.lastVersion) {
        room.lastVersion = snapshot.version;
        const frame = sseFrame(snapshot);
        const chunk = sharedChunk(frame);
        for (const client of room.clients) if (!client.destroyed) writeShared(client, chunk, frame);
        if (noticedAt !== undefined) this.options.onBroadcast?.((Date.now() - noticedAt) / 1000, room.clients.size);
      }
    } catch (error) {
      this.options.onError?.(error);
      room.noticedAt ??= noticedAt;
      room.dirty = true;
    } finally {
      room.reading = false;
    }
    if (room.dirty && this.rooms.get(electionId) === room) this.schedule(electionId, room);
  }

  private beat(): void {
    for (const room of this.rooms.values()) for (const client of room.clients) if (!client.destroyed) client.write(': heartbeat\n\n');
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const room of this.rooms.values()) {
      clearTimeout(room.timer);
      // the connection closes too: a kept-alive socket would hold the server's close until its keep-alive timeout
      for (const client of room.clients) client.end(() => client.destroy());
    }
    this.rooms.clear();
    this.roomOfChannel.clear();
  }
}

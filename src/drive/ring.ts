// The burn's FIFO: a fixed byte ring between the input (stdin or a file, read as fast as it
// comes) and the drive (fed 64 KiB WRITEs), so a producer that stalls for a moment does not
// starve the drive (cdrecord's fs=, cdrskin's 4 MiB fifo). Single producer, single consumer,
// both on the event loop: waiting is by promise, never by spinning.

export class Ring {
  private readonly buf: Buffer;
  private head = 0; // next byte to take
  private used = 0;
  private closed = false;
  /** The producer is waiting for room: the ring is as full as it gets. */
  private producerBlocked = false;
  private waiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get fill(): number {
    return this.used;
  }

  get free(): number {
    return this.capacity - this.used;
  }

  /** True once the producer has said no more data comes. */
  get ended(): boolean {
    return this.closed;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves at the next push, take, or end. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Copies `data` in; the caller has made sure it fits (`free`). */
  push(data: Buffer): void {
    if (this.closed) throw new Error('ring: push after end');
    if (data.length > this.free) throw new Error(`ring: ${data.length} bytes pushed with ${this.free} free`);
    let tail = (this.head + this.used) % this.capacity;
    let off = 0;
    while (off < data.length) {
      const n = Math.min(data.length - off, this.capacity - tail);
      data.copy(this.buf, tail, off, off + n);
      off += n;
      tail = (tail + n) % this.capacity;
    }
    this.used += data.length;
    this.wake();
  }

  end(): void {
    this.closed = true;
    this.wake();
  }

  /** Up to `max` bytes from the front, without wrapping; valid until release(). */
  peek(max: number): Buffer {
    const n = Math.min(max, this.used, this.capacity - this.head);
    return this.buf.subarray(this.head, this.head + n);
  }

  /** Drops `n` bytes from the front (after they were written). */
  release(n: number): void {
    if (n > this.used) throw new Error('ring: release past fill');
    this.head = (this.head + n) % this.capacity;
    this.used -= n;
    this.wake();
  }

  /** Waits until at least `n` bytes are free, or the ring was ended (the consumer gave up). */
  async waitFree(n: number): Promise<void> {
    if (n > this.capacity) throw new Error(`ring: ${n} bytes can never fit in ${this.capacity}`);
    if (this.free >= n || this.closed) return;
    this.producerBlocked = true;
    this.wake();
    try {
      while (this.free < n && !this.closed) await this.changed();
    } finally {
      this.producerBlocked = false;
    }
  }

  /** Waits until the ring is as full as the producer can make it (or it ended). */
  async waitPrefilled(): Promise<void> {
    while (!this.producerBlocked && !this.closed && this.free > 0) await this.changed();
  }

  /** Waits until `n` bytes are queued or the producer has ended. */
  async waitFill(n: number): Promise<void> {
    while (this.used < n && !this.closed) await this.changed();
  }
}

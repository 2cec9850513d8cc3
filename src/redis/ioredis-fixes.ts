// A fix to ioredis (5.11), applied once when courier's connection module
// loads, until upstream has it (ioredis issue #1247, pull request #2169).
//
// disconnect() on a client that is waiting to reconnect (status
// "reconnecting": Redis restarting, or a failover in progress) clears the
// reconnection timer, but no socket is left to close, so the client never
// reaches "end" and never emits it. BullMQ's Worker.close() waits for that
// "end" on its blocking connection: a worker told to stop during a Redis
// outage or failover would hang until its drain deadline. Here such a
// client ends at once, and its queued commands fail, as they would have had
// a socket been open.
//
// quit() on such a client has the same hole one step earlier: ioredis ends
// it at once only when its offline queue is empty; otherwise QUIT is queued
// behind the waiting commands until Redis comes back. BullMQ closes a
// Worker's connections with quit(), and a Worker's stalled check or fetch
// can be queued there during an outage. By then the Worker has waited for
// its active jobs, so what is queued is only its own polling: here quit()
// without a connection ends the client as disconnect() does.
import { Redis } from 'ioredis';

interface QueuedCommand {
  name: string;
  resolve(value: Buffer): void;
  promise: Promise<unknown>;
}

interface RedisInternals {
  status: string;
  manuallyClosing: boolean;
  disconnect: (this: RedisInternals, reconnect?: boolean) => void;
  sendCommand: (this: RedisInternals, command: QueuedCommand, stream?: unknown) => unknown;
  setStatus(status: string): void;
  flushQueue(error: Error): void;
}

const PATCHED = Symbol.for('courier.ioredis.closeWhileReconnecting');

export function fixCloseWhileReconnecting(): void {
  // The class's private members (setStatus, flushQueue) are what ioredis' own close path uses.
  const proto = Redis.prototype as unknown as RedisInternals & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const original = proto.disconnect;
  proto.disconnect = function (this: RedisInternals, reconnect = false) {
    const stranded = !reconnect && this.status === 'reconnecting';
    original.call(this, reconnect);
    if (stranded && this.status === 'reconnecting') {
      this.manuallyClosing = false;
      this.setStatus('end');
      this.flushQueue(new Error('Connection is closed.'));
    }
  };
  const send = proto.sendCommand;
  proto.sendCommand = function (this: RedisInternals, command: QueuedCommand, stream?: unknown) {
    if (command.name === 'quit' && this.status === 'reconnecting') {
      this.disconnect();
      command.resolve(Buffer.from('OK'));
      return command.promise;
    }
    return send.call(this, command, stream);
  };
  proto[PATCHED] = true;
}

fixCloseWhileReconnecting();

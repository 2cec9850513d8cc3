// A local SMTP server speaking real SMTP on loopback (built on smtp-server),
// used by the tests and by `courier demo`. It keeps every message it accepts
// in memory (raw bytes + envelope) and, when given a directory, also writes
// each one as a .eml file that any mail client opens. It can demand AUTH with
// a user and password it checks, refuse or defer chosen recipients, and be
// stopped and started again on the same port to simulate an outage.
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** An SMTP reply the sink gives instead of accepting: 5xx refuses, 4xx asks to try later. */
export interface SinkReply {
  code: number;
  message: string;
}

export interface SmtpSinkOptions {
  host?: string;
  /** 0 (default) picks a free port; the sink keeps it across stop() and start(). */
  port?: number;
  /** When set, AUTH is required and must match. */
  auth?: { user: string; pass: string };
  /** When set, each accepted message is also written there as <n>-<time>.eml. */
  dir?: string;
  /** Decides each RCPT TO: undefined accepts, a reply refuses or defers that recipient (may wait first). */
  onRecipient?: (address: string) => SinkReply | undefined | Promise<SinkReply | undefined>;
  /** Messages above this many bytes are refused with 552 (default 50 MiB). */
  maxMessageBytes?: number;
  /** Awaited after a message is accepted (kept) and before the server answers 250 to its DATA (see SmtpSink.beforeReply). */
  beforeReply?: (message: ReceivedMessage) => Promise<void> | void;
}

export interface ReceivedMessage {
  raw: Buffer;
  envelope: { from: string; to: string[] };
  /** The authenticated user, null without AUTH. */
  user: string | null;
  receivedAt: Date;
  /** The .eml file written for it, when the sink has a directory. */
  file: string | null;
}

const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

export class SmtpSink {
  readonly messages: ReceivedMessage[] = [];
  readonly host: string;
  port: number;
  onRecipient: SmtpSinkOptions['onRecipient'];
  /**
   * Awaited after a message is kept and before the 250 to its DATA: a server
   * that has queued the message but answers late (slow content scanning of a
   * large attachment). The message counts as accepted even if the client is
   * gone before the answer, as with a real server that queued it.
   */
  beforeReply: SmtpSinkOptions['beforeReply'];
  private server: SMTPServer | null = null;
  /** Numbers the .eml files; taken before any await so concurrent messages never share one. */
  private sequence = 0;
  private readonly options: SmtpSinkOptions;

  private constructor(options: SmtpSinkOptions) {
    this.options = options;
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    this.onRecipient = options.onRecipient;
    this.beforeReply = options.beforeReply;
  }

  static async start(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
    const sink = new SmtpSink(options);
    await sink.start();
    return sink;
  }

  get running(): boolean {
    return this.server !== null;
  }

  /** SMTP_URL for this sink: with its own credentials, or with the ones given (e.g. a wrong password). */
  url(credentials: { user: string; pass: string } | null | undefined = this.options.auth): string {
    const auth = credentials ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@` : '';
    return `smtp://${auth}${this.host}:${this.port}`;
  }

  /** Messages whose envelope includes this address (case-insensitive). */
  messagesFor(address: string): ReceivedMessage[] {
    const wanted = address.toLowerCase();
    return this.messages.filter((m) => m.envelope.to.some((to) => to.toLowerCase() === wanted));
  }

  /** Listens (again) on the sink's port; the first start picks the port when none was given. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = this.createServer();
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /**
   * Stops listening and drops open connections at once (a client's pooled
   * connection gets "421 shutting down"), so the next send finds the port
   * closed: connection refused, as in a real outage.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const connection of server.connections) {
        connection.send(421, 'Server shutting down');
        connection.close();
      }
    });
  }

  private createServer(): SMTPServer {
    const { auth } = this.options;
    const server = new SMTPServer({
      logger: false,
      banner: 'courier smtp-sink',
      // Plain SMTP on loopback: no STARTTLS (no certificate to trust), and AUTH
      // allowed without TLS because the traffic never leaves the machine.
      disabledCommands: ['STARTTLS'],
      hideSTARTTLS: true,
      allowInsecureAuth: true,
      authOptional: !auth,
      authMethods: ['PLAIN', 'LOGIN'],
      size: this.options.maxMessageBytes ?? DEFAULT_MAX_BYTES,
      disableReverseLookup: true,
      closeTimeout: 1000,
      onAuth: (credentials: SMTPServerAuthentication, _session: SMTPServerSession, callback) => {
        if (auth && credentials.username === auth.user && credentials.password === auth.pass) {
          callback(null, { user: credentials.username });
          return;
        }
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo: (address: SMTPServerAddress, _session: SMTPServerSession, callback) => {
        Promise.resolve(this.onRecipient?.(address.address)).then(
          (reply) => callback(reply ? Object.assign(new Error(reply.message), { responseCode: reply.code }) : undefined),
          (err: unknown) => callback(Object.assign(new Error(String(err)), { responseCode: 451 })),
        );
      },
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, callback) => {
        this.receive(stream, session).then(
          () => callback(),
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
      },
    });
    server.on('error', () => {
      // Client-side socket errors (a client vanishing mid-session) are routine for a test server.
    });
    return server;
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    if (stream.sizeExceeded) {
      throw Object.assign(new Error('Message exceeds the fixed maximum message size'), { responseCode: 552 });
    }
    const raw = Buffer.concat(chunks);
    const sequence = ++this.sequence;
    const mailFrom = session.envelope.mailFrom;
    const received: ReceivedMessage = {
      raw,
      envelope: { from: mailFrom ? mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
      user: typeof session.user === 'string' ? session.user : null,
      receivedAt: new Date(),
      file: null,
    };
    if (this.options.dir) {
      await mkdir(this.options.dir, { recursive: true });
      const stamp = received.receivedAt.toISOString().replace(/[:.]/g, '-');
      received.file = join(this.options.dir, `${String(sequence).padStart(4, '0')}-${stamp}.eml`);
      await writeFile(received.file, raw);
    }
    this.messages.push(received);
    await this.beforeReply?.(received);
  }
}

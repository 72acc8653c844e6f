import { PLAN_MAGIC, PLAN_VERSION } from './protocol.js';

/** A field of a plan record, encoded little-endian; strings get a terminating NUL. */
export type Field = { u32: number } | { u64: bigint } | { str: string } | { bytes: Uint8Array };

/** Records encoded once and appended to many plans (a policy's mounts, say): see PlanWriter.section(). */
export interface PlanSection {
  readonly records: readonly Buffer[];
  readonly descriptions: readonly string[];
}

/** Builds the binary plan read by nsbox-init (format: src/native/protocol.h). */
export class PlanWriter {
  /** Encode the records `build` adds, to append them later with append(). */
  static section(build: (writer: PlanWriter) => void): PlanSection {
    const writer = new PlanWriter();
    build(writer);
    return { records: writer.records, descriptions: writer.descriptions };
  }

  private readonly records: Buffer[] = [];
  /** Words for each record, used to name a failing step. */
  readonly descriptions: string[] = [];

  add(op: number, flags: number, fields: Field[], description = ''): number {
    const parts = fields.map(encodeField);
    const length = parts.reduce((n, p) => n + p.length, 0);
    const head = Buffer.alloc(8);
    head.writeUInt16LE(op, 0);
    head.writeUInt16LE(flags, 2);
    head.writeUInt32LE(length, 4);
    this.records.push(head, ...parts);
    this.descriptions.push(description);
    return this.descriptions.length - 1;
  }

  append(section: PlanSection): void {
    this.records.push(...section.records);
    this.descriptions.push(...section.descriptions);
  }

  finish(): Buffer {
    const header = Buffer.alloc(12);
    header.writeUInt32LE(PLAN_MAGIC, 0);
    header.writeUInt32LE(PLAN_VERSION, 4);
    header.writeUInt32LE(this.descriptions.length, 8);
    return Buffer.concat([header, ...this.records]);
  }
}

function encodeField(field: Field): Buffer {
  if ('u32' in field) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(field.u32 >>> 0);
    return b;
  }
  if ('u64' in field) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(field.u64);
    return b;
  }
  if ('str' in field) {
    if (field.str.includes('\0')) throw new TypeError('plan strings cannot contain NUL');
    return Buffer.from(`${field.str}\0`, 'utf8');
  }
  return Buffer.from(field.bytes);
}

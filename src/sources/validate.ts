/**
 * Validation at the boundary of the live sources: bodies that are not JSON/XML, and payloads whose
 * shape changed, become `source_malformed` errors naming the source and the first problem. Envelopes
 * are validated strictly; individual records leniently (a bad record is dropped and counted, and only
 * a page where every record is bad counts as a schema change).
 */
import type { z } from 'zod';
import { SourceError } from '../errors.js';
import { parseXml, type XmlNode } from './xml.js';

/** Records that passed validation, and how many did not. */
export interface Validated<T> {
  records: T[];
  dropped: number;
}

function clip(text: string, max = 160): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The first issue of a zod error as `path: message`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${path}${issue.message}`;
}

/** Parses a JSON body, throwing `source_malformed` when it is not JSON. */
export function parseJsonBody(source: string, body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new SourceError('source_malformed', source, `${source}: malformed JSON (${clip((error as Error).message)})`, {
      body: body.slice(0, 500),
      cause: error,
    });
  }
}

/** Parses an XML body, throwing `source_malformed` when it is not well-formed. */
export function parseXmlBody(source: string, body: string): XmlNode[] {
  try {
    return parseXml(body);
  } catch (error) {
    throw new SourceError('source_malformed', source, `${source}: malformed XML (${clip((error as Error).message)})`, {
      body: body.slice(0, 500),
      cause: error,
    });
  }
}

/** Validates a response envelope; a mismatch means the API changed and is a `source_malformed` error. */
export function validateShape<S extends z.ZodType>(source: string, schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new SourceError('source_malformed', source, `${source}: unexpected response shape (${clip(describeIssue(result.error))})`, {
    cause: result.error,
  });
}

/**
 * Validates records one by one. Bad records are dropped and counted; when there were records and
 * none is valid, the page as a whole is treated as a schema change (`source_malformed`).
 */
export function validateRecords<S extends z.ZodType>(source: string, schema: S, items: readonly unknown[]): Validated<z.infer<S>> {
  const records: z.infer<S>[] = [];
  let firstError: z.ZodError | undefined;
  for (const item of items) {
    const result = schema.safeParse(item);
    if (result.success) records.push(result.data);
    else firstError ??= result.error;
  }
  if (items.length > 0 && records.length === 0 && firstError) {
    throw new SourceError(
      'source_malformed',
      source,
      `${source}: unexpected record shape (${clip(describeIssue(firstError))}); no record could be read`,
      { cause: firstError },
    );
  }
  return { records, dropped: items.length - records.length };
}

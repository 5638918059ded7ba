/**
 * The reference service's state: refreshes, their failed tokens, and the last metadata fetched
 * for each token. Everything is in memory; ordering and paging rules live here.
 */
import type {
  CursorPageWire,
  RefreshErrorWire,
  RefreshListItemWire,
  RefreshStatus,
} from '../../wire/schemas.js';
import { decodeCursor, encodeCursor } from '../cursor.js';

/** The wire form of a refresh as this server emits it (summary as an object). */
export interface RefreshRecordWire extends RefreshListItemWire {
  summary: { succeeded: number; failed: number; pending: number };
}

/** A failed token, in the form the server emits it (numeric status code). */
export interface ErrorRow {
  token_id: string;
  collection_address: string;
  client_token_metadata_url: string;
  client_response_status_code: number | null;
  client_response_body: string | null;
  error_code: string;
  created_at: string;
}

/** One refresh and its progress. */
export interface RefreshRecord {
  id: string;
  collectionAddress: string;
  startedAtMs: number;
  /** `startedAtMs` as ISO 8601, made once (every status read needs it). */
  startedAtIso?: string | undefined;
  completedAtMs: number | null;
  tokenIds: string[];
  succeeded: number;
  failed: number;
  /** Sorted by (created_at, token_id): the errors endpoint's order. */
  errors: ErrorRow[];
}

/** Last successful fetch of a token's metadata. */
export interface TokenMetadata {
  metadata: Record<string, unknown>;
  updatedAtMs: number;
}

/** A page request after validation. */
export interface PageQuery {
  pageSize: number;
  cursor: string | undefined;
}

/** Thrown by paging when the cursor is not one this store made. */
export class InvalidCursorError extends Error {}

const iso = (ms: number) => new Date(ms).toISOString();

function statusOf(r: RefreshRecord): RefreshStatus {
  if (r.succeeded + r.failed === 0) return 'queued';
  return r.completedAtMs === null ? 'in_progress' : 'completed';
}

/** The wire form of a refresh. */
export function refreshToWire(r: RefreshRecord): RefreshRecordWire {
  const processed = r.succeeded + r.failed;
  r.startedAtIso ??= iso(r.startedAtMs);
  return {
    refresh_id: r.id,
    status: statusOf(r),
    collection_address: r.collectionAddress,
    started_at: r.startedAtIso,
    completed_at: r.completedAtMs === null ? null : iso(r.completedAtMs),
    summary: { succeeded: r.succeeded, failed: r.failed, pending: r.tokenIds.length - processed },
  };
}

function listItemToWire(r: RefreshRecord): RefreshListItemWire {
  const { summary: _summary, ...item } = refreshToWire(r);
  return item;
}

const compareErrors = (a: ErrorRow, b: ErrorRow) =>
  a.created_at < b.created_at
    ? -1
    : a.created_at > b.created_at
      ? 1
      : a.token_id < b.token_id
        ? -1
        : a.token_id > b.token_id
          ? 1
          : 0;

/** Index of the first element of sorted `rows` for which `after(row)` holds. */
function firstWhere<T>(rows: readonly T[], after: (row: T) => boolean): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after(rows[mid] as T)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function page<T, W>(
  rows: readonly T[],
  start: number,
  pageSize: number,
  toWire: (row: T) => W,
  keyOf: (row: T) => Record<string, string>,
): CursorPageWire<W> {
  const slice = rows.slice(start, start + pageSize);
  const last = slice[slice.length - 1];
  return {
    result: slice.map(toWire),
    cursor: last === undefined ? '' : encodeCursor(keyOf(last)),
    remaining: start + slice.length < rows.length ? 1 : 0,
  };
}

/** In-memory state of the reference service. */
export class RefreshStore {
  readonly #refreshes = new Map<string, RefreshRecord>();
  /** Newest first: by started_at descending, then refresh id descending. */
  #newestFirst: RefreshRecord[] = [];
  readonly #metadata = new Map<string, TokenMetadata>();

  add(record: RefreshRecord): void {
    this.#refreshes.set(record.id, record);
    const at = firstWhere(
      this.#newestFirst,
      (r) =>
        r.startedAtMs < record.startedAtMs ||
        (r.startedAtMs === record.startedAtMs && r.id < record.id),
    );
    this.#newestFirst.splice(at, 0, record);
  }

  get(id: string): RefreshRecord | undefined {
    return this.#refreshes.get(id);
  }

  /** Records a failed token, keeping the errors in (created_at, token_id) order. */
  addError(record: RefreshRecord, row: ErrorRow): void {
    const at = firstWhere(record.errors, (r) => compareErrors(r, row) > 0);
    record.errors.splice(at, 0, row);
  }

  /** Records many failed tokens at once (seeding), sorting once. */
  addErrors(record: RefreshRecord, rows: ErrorRow[]): void {
    record.errors.push(...rows);
    record.errors.sort(compareErrors);
  }

  setMetadata(collectionAddress: string, tokenId: string, value: TokenMetadata): void {
    this.#metadata.set(`${collectionAddress.toLowerCase()}/${tokenId}`, value);
  }

  getMetadata(collectionAddress: string, tokenId: string): TokenMetadata | undefined {
    return this.#metadata.get(`${collectionAddress.toLowerCase()}/${tokenId}`);
  }

  /** A page of a refresh's errors. @throws {InvalidCursorError} */
  errorsPage(record: RefreshRecord, query: PageQuery): CursorPageWire<RefreshErrorWire> {
    let start = 0;
    if (query.cursor !== undefined) {
      const key = decodeCursor(query.cursor, ['created_at', 'token_id'] as const);
      if (!key) throw new InvalidCursorError();
      const probe = { ...key } as ErrorRow;
      start = firstWhere(record.errors, (r) => compareErrors(r, probe) > 0);
    }
    return page(
      record.errors,
      start,
      query.pageSize,
      (r) => ({ ...r }),
      (r) => ({
        created_at: r.created_at,
        token_id: r.token_id,
      }),
    );
  }

  /** A page of a project's refreshes, newest first. @throws {InvalidCursorError} */
  refreshesPage(
    collectionAddress: string | undefined,
    query: PageQuery,
  ): CursorPageWire<RefreshListItemWire> {
    const collection = collectionAddress?.toLowerCase();
    const rows =
      collection === undefined
        ? this.#newestFirst
        : this.#newestFirst.filter((r) => r.collectionAddress.toLowerCase() === collection);
    let start = 0;
    if (query.cursor !== undefined) {
      const key = decodeCursor(query.cursor, ['started_at', 'refresh_id'] as const);
      const startedMs = key ? Date.parse(key.started_at) : Number.NaN;
      if (!key || Number.isNaN(startedMs)) throw new InvalidCursorError();
      start = firstWhere(
        rows,
        (r) => r.startedAtMs < startedMs || (r.startedAtMs === startedMs && r.id < key.refresh_id),
      );
    }
    return page(rows, start, query.pageSize, listItemToWire, (r) => ({
      started_at: iso(r.startedAtMs),
      refresh_id: r.id,
    }));
  }

  /** Forgets everything. */
  clear(): void {
    this.#refreshes.clear();
    this.#newestFirst = [];
    this.#metadata.clear();
  }
}

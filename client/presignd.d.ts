// Type declarations for presignd.js, the browser client of presignd's API.

/** Every failure of the client. */
export class PresignError extends Error {
  constructor(code: string, message: string, status?: number)
  /** `AbortError` when cancelled, else `PresignError`. */
  name: 'AbortError' | 'PresignError'
  /**
   * The API's error code (`file_too_large`, `content_type_not_allowed`, `not_found` …),
   * `network_error` (server or storage unreachable), `aborted` (cancelled by the signal),
   * `etag_not_exposed` (bucket CORS lacks ExposeHeaders ETag), or the storage's XML `Code`
   * (`EntityTooLarge`, `AccessDenied` …) when the store refused the bytes.
   */
  code: string
  /** The HTTP status that carried the error; 0 when there was no response. */
  status: number
}

export interface ClientOptions {
  /** Origin and path prefix of the API; default '' (the page's own origin). */
  baseUrl?: string
  /** A fixed bearer token. */
  token?: string
  /** Called before every API request; wins over `token`. */
  getToken?: () => string | Promise<string>
  /**
   * Declare each single upload's SHA-256 (WebCrypto), bound by presignd into the PUT so the
   * store refuses other bytes; default true. Not for uploads with an explicit `method`.
   */
  checksum?: boolean
  /** Files of this many bytes or more upload in parts; default 64 MiB. */
  multipartThreshold?: number
  /** The fetch to use for API calls; default globalThis.fetch. */
  fetch?: typeof fetch
  /** Attempts per transfer (network errors, 5xx, expired part URLs); default 4. */
  tries?: number
  /** First back-off in ms, doubled per retry; default 500. */
  retryDelay?: number
  /** Parts sent at once in a multipart upload; default 4. */
  concurrency?: number
  /**
   * Where unfinished multipart uploads are remembered for a resume after a reload, a crash or a
   * restart: default `indexedDbUploads()` (null where there is no IndexedDB); null remembers none.
   */
  uploads?: RememberedUploads | null
}

/** A remembered multipart upload: what names the file and presignd's fileId, never a URL or a token. */
export interface RememberedUpload {
  /** The file's identity (`fileIdentity`). */
  key: string
  fileId: string
  fileName: string
  fileSize: number
  purpose: string
  /** Date.now() when it was created. */
  savedAt: number
}

export interface RememberedUploads {
  get(key: string): Promise<RememberedUpload | undefined>
  put(key: string, value: RememberedUpload): Promise<void>
  delete(key: string): Promise<void>
  all(): Promise<RememberedUpload[]>
}

/** IndexedDB (database `name`, default 'presignd'); null where the browser has none. */
export function indexedDbUploads(name?: string): RememberedUploads | null
/** The same in memory (forgotten on reload). */
export function memoryUploads(): RememberedUploads
/** Name, size, last-modified and the SHA-256 of the first and last MiB. */
export function fileIdentity(file: File): Promise<string>

/** An upload under way (`start`). */
export interface UploadHandle {
  done: Promise<UploadedDocument>
  /** Stops the requests under way and starts none until `resume()`. */
  pause(): void
  resume(): void
  readonly paused: boolean
}

export interface UploadOptions {
  /** A purpose the server is configured with, e.g. 'avatar', 'image', 'document'. */
  purpose: string
  /** Bytes of the file sent so far (upload progress, not server confirmation). */
  onProgress?: (loaded: number, total: number) => void
  /** Aborting cancels the transfer and the upload on the server (code `aborted`). */
  signal?: AbortSignal
  /** A single upload's method: a presigned POST form (default) or PUT. */
  method?: 'POST' | 'PUT'
  /** Overrides `file.type`; an empty type is sent as application/octet-stream. */
  contentType?: string
  /** Overrides `file.name`. */
  fileName?: string
}

/** A confirmed (or completed multipart) upload. */
export interface UploadedDocument {
  fileId: string
  status: 'ready'
  size: number
  contentType: string
}

export interface DocumentSummary {
  id: string
  fileName: string
  purpose: string
  size: number
  contentType: string
  /** false for a document shared with the caller. */
  owned: boolean
  createdAt: string
}

export interface DocumentPage {
  documents: DocumentSummary[]
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null
}

export interface PresigndClient {
  upload(file: Blob | File, options: UploadOptions): Promise<UploadedDocument>
  /** `upload` with pause and resume; offline it waits by itself for the browser to be back. */
  start(file: Blob | File, options: UploadOptions): UploadHandle
  /** The multipart uploads remembered for a resume (pick the same file again to resume one). */
  pendingUploads(): Promise<RememberedUpload[]>
  /** Forgets a remembered upload and aborts it at presignd. */
  forgetUpload(fileId: string): Promise<void>
  list(options?: { limit?: number; cursor?: string }): Promise<DocumentPage>
  /** A short-lived signed URL; `save: true` also starts the browser's download. */
  download(id: string, options?: { disposition?: 'attachment' | 'inline'; save?: boolean }): Promise<string>
  share(id: string, userId: string): Promise<{ documentId: string; userId: string }>
  revoke(id: string, userId: string): Promise<null>
  remove(id: string): Promise<null>
  /** POST /api/auth/cdn-cookies now; concurrent calls and calls within 5 s share one request. */
  refreshCdnCookies(): Promise<{ expiresAt: string } | null>
  /** Refreshes now and when the tab regains focus or visibility; returns a stop function. */
  startCdnCookies(options?: { onError?: (error: PresignError) => void }): () => void
  /** A failing <img> under root refreshes the cookies and reloads once; returns a stop function. */
  watchImages(root?: Document | Element): () => void
  /** Clears the CDN cookies and stops every refresher started here. */
  logout(): Promise<unknown>
}

export function createClient(options?: ClientOptions): PresigndClient

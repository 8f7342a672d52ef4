/*! presignd browser client: one ES module, no dependencies.
 *
 *   import { createClient, PresignError } from '/app/presignd.js'
 *   const api = createClient({ getToken: () => auth.currentToken() })
 *   const controller = new AbortController()
 *   try {
 *     const doc = await api.upload(input.files[0], { purpose: 'document', signal: controller.signal,
 *       onProgress: (loaded, total) => { bar.value = loaded / total } })
 *     await api.share(doc.fileId, 'bob')
 *     await api.download(doc.fileId, { save: true })          // the browser saves the file
 *   } catch (e) { if (e instanceof PresignError) show(e.message) } // e.code: the API's code
 *   api.startCdnCookies(); api.watchImages(document.body)       // CloudFront cookies stay fresh
 */

/** Every failure: the API's {error: {code, message}}, `network_error`, or `aborted` (AbortError). */
export class PresignError extends Error {
  constructor(code, message, status = 0) {
    super(message)
    this.name = code === 'aborted' ? 'AbortError' : 'PresignError'
    this.code = code
    this.status = status
  }
}

const aborted = () => new PresignError('aborted', 'the upload was cancelled')
const unreachable = (what) => new PresignError('network_error', `could not reach ${what}; check the connection and try again`)

// Headers a page may not set (the Fetch standard's forbidden request headers): the browser
// writes Content-Length and Host itself, and XMLHttpRequest refuses the rest.
const FORBIDDEN = /^(accept-charset|accept-encoding|access-control-request-.*|connection|content-length|cookie2?|date|dnt|expect|host|keep-alive|origin|referer|set-cookie|te|trailer|transfer-encoding|upgrade|via|proxy-.*|sec-.*)$/i

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => { signal?.removeEventListener('abort', stop); resolve() }, ms)
  const stop = () => { clearTimeout(timer); reject(aborted()) }
  signal?.addEventListener('abort', stop, { once: true })
})

/** A failure that may pass by itself (the network, the server): tried again, and an upload kept for it. */
const mayPass = (e) => e.code === 'network_error' || e.status >= 500
/** An answer that says nothing about a remembered upload (it may pass, or the caller is not
 * signed in just now): the upload is kept. Any other refusal means presignd has ended it. */
const saysNothingOfIt = (e) => mayPass(e) || e.status === 401 || e.status === 403

/** Until the browser is online again (at once when it is, or cannot say). */
function online(signal) {
  if (globalThis.navigator?.onLine !== false || !globalThis.addEventListener) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const back = () => { signal?.removeEventListener('abort', stop); resolve() }
    const stop = () => { removeEventListener('online', back); reject(aborted()) }
    addEventListener('online', back, { once: true })
    signal?.addEventListener('abort', stop, { once: true })
  })
}

/**
 * An upload's pause switch. Paused, no request starts and those under way are stopped; resumed,
 * the stopped ones start again (a part from its beginning). A pause never counts as a failed try.
 */
function pauseSwitch() {
  let paused = false, release = () => {}, reopened = Promise.resolve()
  const running = new Set()
  return {
    get paused() { return paused },
    pause() {
      if (paused) return
      paused = true
      reopened = new Promise((resolve) => { release = resolve })
      for (const stop of [...running]) stop()
    },
    resume() {
      if (!paused) return
      paused = false
      release()
    },
    /** Resolves when not paused (rejects if `signal` aborts first). */
    wait(signal) {
      if (!paused) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const stop = () => reject(aborted())
        signal?.addEventListener('abort', stop, { once: true })
        reopened.then(() => { signal?.removeEventListener('abort', stop); resolve() })
      })
    },
    /** A signal for one request: aborted by `signal` or by a pause; `end()` when it is over. */
    request(signal) {
      const controller = new AbortController()
      const stop = () => controller.abort()
      running.add(stop)
      signal?.addEventListener('abort', stop, { once: true })
      return { signal: controller.signal, end: () => { running.delete(stop); signal?.removeEventListener('abort', stop) } }
    },
  }
}

/** The store's XML error (`<Code>`, `<Message>`) as a PresignError. */
function storeError(status, text) {
  const tag = (name) => (text.match(new RegExp(`<${name}>([^<]*)</${name}>`)) || [])[1]
  const code = tag('Code') || `store_${status}`
  return new PresignError(code, `the storage refused the upload (${code}${tag('Message') ? ': ' + tag('Message') : ''})`, status)
}

/** One request with XMLHttpRequest, the only browser API that reports upload progress. */
function send(method, url, body, headers, onProgress, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted())
    const xhr = new XMLHttpRequest()
    const stop = () => xhr.abort()
    xhr.open(method, url)
    for (const [name, value] of Object.entries(headers || {})) if (!FORBIDDEN.test(name)) xhr.setRequestHeader(name, value)
    xhr.upload.onloadstart = (e) => onProgress(0, e.total)
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total)
    xhr.onload = () => resolve({ status: xhr.status, etag: xhr.getResponseHeader('ETag'), text: xhr.responseText })
    xhr.onerror = xhr.ontimeout = () => reject(unreachable('the storage'))
    xhr.onabort = () => reject(aborted())
    xhr.onloadend = () => signal?.removeEventListener('abort', stop)
    signal?.addEventListener('abort', stop, { once: true })
    xhr.send(body)
  })
}

/** Base64 of the SHA-256 of a Blob's bytes (WebCrypto: the digest runs off the page's thread). */
async function sha256Base64(blob) {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))
  let binary = ''
  for (const byte of digest) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * Where unfinished multipart uploads are remembered across reloads, crashes and restarts: the
 * browser's IndexedDB (database `presignd`, store `uploads`), by file identity. Only the fileId
 * and what names the file are kept: never a signed URL or a token. Where there is no IndexedDB
 * (a worker without it, Node), nothing is remembered.
 */
export function indexedDbUploads(name = 'presignd') {
  if (!globalThis.indexedDB) return null
  let opened = null
  const open = () => (opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1)
    request.onupgradeneeded = () => request.result.createObjectStore('uploads')
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  }))
  const run = async (mode, act) => {
    const db = await open()
    return new Promise((resolve, reject) => {
      const transaction = db.transaction('uploads', mode)
      const request = act(transaction.objectStore('uploads'))
      transaction.oncomplete = () => resolve(request.result)
      transaction.onerror = () => reject(transaction.error)
    })
  }
  return {
    get: (key) => run('readonly', (store) => store.get(key)),
    put: (key, value) => run('readwrite', (store) => store.put(value, key)),
    delete: (key) => run('readwrite', (store) => store.delete(key)),
    all: () => run('readonly', (store) => store.getAll()),
  }
}

/** The same interface in memory (tests, or a page that wants no persistence across reloads). */
export function memoryUploads() {
  const kept = new Map()
  return {
    get: async (key) => kept.get(key),
    put: async (key, value) => { kept.set(key, value) },
    delete: async (key) => { kept.delete(key) },
    all: async () => [...kept.values()],
  }
}

/**
 * What identifies a file picked again: its name, size and last-modified time, and the SHA-256
 * of its first and last MiB, so another file under the same name and size is not taken for it.
 */
export async function fileIdentity(file) {
  const mib = 1 << 20
  const ends = file.size > 2 * mib ? new Blob([file.slice(0, mib), file.slice(file.size - mib)]) : file
  return `${file.name}|${file.size}|${file.lastModified ?? 0}|${await sha256Base64(ends)}`
}

/**
 * A client for one presignd API. `token` or `getToken()` gives the bearer token; uploads of
 * `multipartThreshold` bytes or more go in parts. With `checksum` (the default), a single upload
 * declares the file's SHA-256, which presignd binds into the PUT so the store refuses any other
 * bytes; a store that does not check SHA-256 (answer `checksum_not_checked`) gets the upload
 * without it. A multipart upload is remembered (`uploads`, IndexedDB by default) until it ends:
 * picking the same file again, after a reload or a crash, resumes it from what presignd says is
 * left (`POST /api/uploads/{id}/resume`, its plan checked against the store), sending only the
 * missing parts. An upload that fails for a reason that may pass (the network, a 5xx) is kept
 * for that; one cancelled or refused is aborted and forgotten.
 */
export function createClient({
  baseUrl = '', token, getToken, multipartThreshold = 64 * 1024 * 1024, fetch: fetcher,
  tries = 4, retryDelay = 500, concurrency = 4, checksum = true, uploads = indexedDbUploads(),
} = {}) {
  const doFetch = fetcher || ((...args) => globalThis.fetch(...args))
  const stops = []

  async function call(method, path, body, signal, init) {
    const headers = {}
    const bearer = getToken ? await getToken() : token
    if (bearer) headers.Authorization = `Bearer ${bearer}`
    // Cookie mode: presignd refuses a cookie-authenticated state change without this header,
    // which a cross-site form cannot send (README, "Cookie mode").
    else if (method !== 'GET' && method !== 'HEAD') headers['X-Requested-With'] = 'presignd.js'
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    let response, text
    try {
      response = await doFetch(baseUrl + path, { method, headers, signal, ...init,
        body: body === undefined ? undefined : JSON.stringify(body) })
      text = await response.text()
    } catch (e) {
      throw signal?.aborted ? aborted() : unreachable('the server')
    }
    let data = null
    try { data = text ? JSON.parse(text) : null } catch { /* not JSON: the status speaks */ }
    if (!response.ok) {
      const error = data?.error || {}
      throw new PresignError(error.code || `http_${response.status}`,
        error.message || `${method} ${path} answered ${response.status}`, response.status)
    }
    return data
  }

  // Network errors and 5xx are retried with exponential back-off (with jitter), `tries` in all;
  // an error with `retry` set (an expired part URL) is retried too. A try stopped by a pause, or
  // one that failed while the browser is offline, does not count: the upload waits for the
  // resume, or for the browser to be online again, and goes on by itself.
  async function retrying(attempt, signal, control) {
    for (let n = 1; ; n++) {
      await control?.wait(signal)
      await online(signal)
      try {
        return await attempt()
      } catch (e) {
        if (signal?.aborted) throw aborted()
        if (control?.paused) { n--; continue }
        const transient = mayPass(e) || e.retry
        if (transient && globalThis.navigator?.onLine === false) { n--; continue }
        if (!transient || n >= tries) throw e
        await sleep(retryDelay * 2 ** (n - 1) * (0.75 + Math.random() / 2), signal)
      }
    }
  }

  // Cancels an unfinished upload so no pending row is left. Before the abort route existed,
  // DELETE /api/documents/{id} removed a pending upload, so a server without it still works.
  async function discard(fileId) {
    try {
      await call('DELETE', `/api/uploads/${encodeURIComponent(fileId)}`)
    } catch (e) {
      if (e.status === 404 || e.status === 405) await call('DELETE', `/api/documents/${encodeURIComponent(fileId)}`).catch(() => {})
    }
  }

  async function presign(file, declared, method, signal) {
    const body = { ...declared, ...(method && { method }) }
    // A POST form binds no checksum: one is declared only when the method is left to presignd.
    if (!checksum || method) return call('POST', '/api/uploads/presign', body, signal)
    try {
      return await call('POST', '/api/uploads/presign', { ...body, checksumSHA256: await sha256Base64(file) }, signal)
    } catch (e) {
      if (e.code !== 'checksum_not_checked') throw e
      return call('POST', '/api/uploads/presign', body, signal)
    }
  }

  async function single(file, declared, method, progress, signal, control) {
    const presigned = await presign(file, declared, method, signal)
    let confirming = false
    try {
      await retrying(async () => {
        const request = control.request(signal)
        let body = file
        if (presigned.method !== 'PUT') {
          body = new FormData()
          for (const [name, value] of Object.entries(presigned.fields || {})) body.append(name, value)
          body.append('file', file) // last: S3 ignores fields after the file
        }
        // A POST body is larger than the file (the form fields), so progress is scaled to the file.
        const r = await send(presigned.method || 'POST', presigned.url, body,
          presigned.method === 'PUT' ? presigned.headers : null,
          (loaded, total) => progress(total ? Math.min(file.size, Math.round(loaded / total * file.size)) : 0), request.signal)
          .finally(request.end)
        if (r.status < 200 || r.status > 299) throw storeError(r.status, r.text)
        progress(file.size)
      }, signal, control)
      confirming = true
      return await call('POST', '/api/uploads/confirm', { fileId: presigned.fileId }, signal)
    } catch (e) {
      // A confirm the server answered (409, 422) decided the upload's fate itself.
      if (!confirming || !e.status) await discard(presigned.fileId)
      throw e
    }
  }

  // With `checksum`, every part declares its SHA-256 (a store that does not check it on parts
  // answers checksum_not_checked, and the upload goes without).
  async function createMultipart(declared, signal) {
    if (!checksum) return call('POST', '/api/uploads/multipart', declared, signal)
    try {
      return await call('POST', '/api/uploads/multipart', { ...declared, checksumAlgorithm: 'SHA256' }, signal)
    } catch (e) {
      if (e.code !== 'checksum_not_checked') throw e
      return call('POST', '/api/uploads/multipart', declared, signal)
    }
  }

  /** The remembered upload of `key`, resumed: {upload, parts} from presignd, or null when there
   * is none or it cannot be resumed (ended, expired, another size): then it is forgotten. */
  async function resumable(key, file, signal) {
    const kept = key && await uploads.get(key).catch(() => undefined)
    if (!kept) return null
    try {
      const state = await call('POST', `/api/uploads/${encodeURIComponent(kept.fileId)}/resume`, {}, signal)
      if (state.fileSize === file.size) return { upload: state, parts: state.parts }
    } catch (e) {
      if (signal?.aborted || saysNothingOfIt(e)) throw signal?.aborted ? aborted() : e
    }
    await uploads.delete(key).catch(() => {})
    return null
  }

  async function multipart(file, declared, progress, outer, control) {
    const key = uploads ? await fileIdentity(file) : null
    const resumed = await resumable(key, file, outer)
    const upload = resumed?.upload ?? await createMultipart(declared, outer)
    if (key && !resumed) {
      await uploads.put(key, { key, fileId: upload.fileId, fileName: declared.fileName, fileSize: file.size,
        purpose: declared.purpose, savedAt: Date.now() }).catch(() => {})
    }
    const digests = upload.checksumAlgorithm === 'SHA256'
    const id = encodeURIComponent(upload.fileId)
    // One failing part stops the others.
    const controller = new AbortController()
    const signal = controller.signal
    const relay = () => controller.abort()
    outer?.addEventListener('abort', relay, { once: true })
    const urls = new Map(), batches = new Map(), etags = new Map(), loaded = new Map()
    const report = () => progress([...loaded.values()].reduce((a, b) => a + b, 0))
    // What presignd counts as sent already (its plan checked against the store) is not sent again.
    for (const part of resumed?.parts ?? []) {
      etags.set(part.partNumber, part.etag)
      loaded.set(part.partNumber, part.size)
    }
    if (resumed) report()
    const todo = Array.from({ length: upload.partCount }, (_, i) => i + 1).filter((n) => !etags.has(n))
    const sign = async (numbers, checksums) => {
      const signed = await call('POST', `/api/uploads/${id}/parts`, { partNumbers: numbers, ...(checksums && { checksums }) }, signal)
      for (const part of signed.parts) urls.set(part.partNumber, part)
    }
    const sliceOf = (n) => file.slice((n - 1) * upload.partSize, n * upload.partSize)
    // Part URLs are signed 100 at a time, when the first part of a batch is reached; a part
    // whose digest is declared is signed on its own, once it is hashed.
    const urlFor = async (n) => {
      if (digests) {
        if (!urls.has(n)) await sign([n], { [n]: await sha256Base64(sliceOf(n)) })
        return urls.get(n)
      }
      const batch = Math.floor((n - 1) / 100)
      if (!batches.has(batch)) {
        const first = batch * 100 + 1
        // Only the parts still to send (a resumed upload has some already).
        batches.set(batch, sign(Array.from({ length: Math.min(100, upload.partCount - first + 1) }, (_, i) => first + i)
          .filter((number) => !etags.has(number))))
      }
      await batches.get(batch)
      if (!urls.has(n)) await sign([n])
      return urls.get(n)
    }
    const putPart = async (n) => {
      const part = await urlFor(n)
      const request = control.request(signal)
      const r = await send('PUT', part.url, sliceOf(n), part.headers,
        (bytes) => { loaded.set(n, bytes); report() }, request.signal)
        .catch((e) => { loaded.set(n, 0); report(); throw e })
        .finally(request.end)
      if (r.status >= 200 && r.status <= 299) {
        if (!r.etag) throw new PresignError('etag_not_exposed', 'the storage hides the ETag header from this page; its CORS rule must expose ETag', r.status)
        etags.set(n, r.etag)
        loaded.set(n, part.size)
        return report()
      }
      loaded.set(n, 0)
      const error = storeError(r.status, r.text)
      if (r.status === 403) { urls.delete(n); error.retry = true } // most likely expired: sign it again
      throw error
    }
    const worker = async () => {
      while (todo.length) {
        const n = todo.shift()
        await retrying(() => putPart(n), signal, control)
      }
    }
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(todo.length, 1)) }, worker))
      const parts = [...etags].sort((a, b) => a[0] - b[0]).map(([partNumber, etag]) => ({ partNumber, etag }))
      // A 5xx here (the store still combining a large upload) is retried: the server finishes
      // a completion that was cut short instead of starting again.
      const done = await retrying(() => call('POST', `/api/uploads/${id}/complete`, { parts }, outer), outer)
      if (key) await uploads.delete(key).catch(() => {})
      return done
    } catch (e) {
      controller.abort()
      // Kept for a resume when it may pass (the network, a 5xx); otherwise aborted and forgotten.
      const passing = !outer?.aborted && mayPass(e)
      if (!(key && passing)) {
        await discard(upload.fileId)
        if (key) await uploads.delete(key).catch(() => {})
      }
      throw outer?.aborted ? aborted() : e
    } finally {
      outer?.removeEventListener('abort', relay)
    }
  }

  let lastRefresh = 0, refreshing = null
  const client = {
    /** Presigns, sends the bytes straight to the store, confirms; resolves to the document. */
    upload(file, options) {
      return client.start(file, options).done
    },

    /**
     * `upload`, with a handle: `{done, pause(), resume(), paused}`. Paused, the requests under way
     * stop and none starts; resumed, it goes on (a part from its beginning). Offline, it waits by
     * itself for the browser to be online again.
     */
    start(file, { purpose, onProgress, signal, method, contentType, fileName } = {}) {
      const control = pauseSwitch()
      const run = async () => {
        if (signal?.aborted) throw aborted()
        const declared = {
          purpose,
          fileName: fileName || file.name || 'upload',
          contentType: contentType || file.type || 'application/octet-stream',
          fileSize: file.size,
        }
        const progress = (loaded) => onProgress?.(loaded, file.size)
        return file.size >= multipartThreshold
          ? multipart(file, declared, progress, signal, control)
          : single(file, declared, method, progress, signal, control)
      }
      return { done: run(), pause: control.pause, resume: control.resume, get paused() { return control.paused } }
    },

    /**
     * The multipart uploads remembered for a resume: [{key, fileId, fileName, fileSize, purpose,
     * savedAt}]. Each is checked with presignd first: one that has ended (expired by the sweeper,
     * aborted, completed elsewhere) is forgotten; one presignd cannot be asked about now is kept.
     */
    async pendingUploads() {
      const kept = uploads ? await uploads.all() : []
      const alive = await Promise.all(kept.map(async (upload) => {
        try {
          await call('POST', `/api/uploads/${encodeURIComponent(upload.fileId)}/resume`, {})
          return upload
        } catch (e) {
          if (saysNothingOfIt(e)) return upload
          await uploads.delete(upload.key).catch(() => {})
          return null
        }
      }))
      return alive.filter(Boolean)
    },

    /** Forgets a remembered upload and aborts it at presignd (the user will not pick the file again). */
    async forgetUpload(fileId) {
      for (const kept of uploads ? await uploads.all() : []) {
        if (kept.fileId === fileId) await uploads.delete(kept.key)
      }
      await discard(fileId)
    },

    /** A page of the caller's documents and those shared with them: {documents, nextCursor}. */
    list({ limit, cursor } = {}) {
      const query = new URLSearchParams()
      if (limit) query.set('limit', limit)
      if (cursor) query.set('cursor', cursor)
      return call('GET', `/api/documents${String(query) ? '?' + query : ''}`)
    },

    /** A short-lived download URL; with `save` the browser also starts downloading it. */
    async download(id, { disposition = 'attachment', save = false } = {}) {
      const { url, fileName } = await call('GET', `/api/documents/${encodeURIComponent(id)}/download?disposition=${disposition}`)
      if (save) {
        const link = Object.assign(document.createElement('a'), { href: url, download: fileName || '', rel: 'noopener' })
        document.body.append(link)
        link.click()
        link.remove()
      }
      return url
    },

    share: (id, userId) => call('POST', `/api/documents/${encodeURIComponent(id)}/shares`, { userId }),
    revoke: (id, userId) => call('DELETE', `/api/documents/${encodeURIComponent(id)}/shares/${encodeURIComponent(userId)}`),
    remove: (id) => call('DELETE', `/api/documents/${encodeURIComponent(id)}`),

    /** Sets fresh CloudFront cookies now ({expiresAt}); calls within 5 s share one request. */
    refreshCdnCookies() {
      if (refreshing) return refreshing
      if (Date.now() - lastRefresh < 5000) return Promise.resolve(null)
      refreshing = call('POST', '/api/auth/cdn-cookies', undefined, undefined, { credentials: 'include' })
        .finally(() => { lastRefresh = Date.now(); refreshing = null })
      return refreshing
    },

    /** Refreshes the CDN cookies now and whenever the tab comes back; returns a stop function. */
    startCdnCookies({ onError } = {}) {
      const refresh = () => client.refreshCdnCookies().catch((e) => onError?.(e))
      const visible = () => document.visibilityState === 'visible' && refresh()
      addEventListener('focus', refresh)
      document.addEventListener('visibilitychange', visible)
      refresh()
      const stop = () => {
        removeEventListener('focus', refresh)
        document.removeEventListener('visibilitychange', visible)
      }
      stops.push(stop)
      return stop
    },

    /** An <img> under `root` that fails to load refreshes the cookies and retries once. */
    watchImages(root = document) {
      const retried = new WeakSet()
      const failed = (e) => {
        const img = e.target
        if (img.tagName !== 'IMG' || retried.has(img)) return
        retried.add(img)
        lastRefresh = 0
        client.refreshCdnCookies().then(() => { img.src = img.src }, () => {})
      }
      root.addEventListener('error', failed, true) // error does not bubble; capture sees it
      const stop = () => root.removeEventListener('error', failed, true)
      stops.push(stop)
      return stop
    },

    /** Clears the CDN cookies and stops refreshing them. */
    logout() {
      stops.splice(0).forEach((stop) => stop())
      return call('POST', '/api/auth/logout', undefined, undefined, { credentials: 'include' })
    },
  }
  return client
}

// Unit tests of client/presignd.js without a browser: a scripted XMLHttpRequest stands in for
// the object store and a scripted fetch for the API. Run: node --test client/test/presignd.test.mjs
import assert from 'node:assert/strict'
import { File as BufferFile } from 'node:buffer'
import { test } from 'node:test'
import { createClient, fileIdentity, memoryUploads, PresignError } from '../presignd.js'

// File is global from Node 20; Debian 12's Node 18 has it in node:buffer.
const File = globalThis.File ?? BufferFile

/** Installs a fake XMLHttpRequest whose answers come from `store(request)`; returns the requests. */
function fakeStore(store) {
  const requests = []
  globalThis.XMLHttpRequest = class {
    constructor() { this.upload = {}; this.headers = {} }
    open(method, url) { this.method = method; this.url = url }
    setRequestHeader(name, value) {
      if (/^(content-length|host)$/i.test(name)) throw new Error(`browser refuses ${name}`)
      this.headers[name] = value
    }
    getResponseHeader(name) { return name === 'ETag' ? this.etag ?? null : null }
    abort() { if (!this.done) { this.done = true; this.onabort?.(); this.onloadend?.() } }
    send(body) {
      const request = { method: this.method, url: this.url, headers: this.headers, body, xhr: this }
      requests.push(request)
      const size = body?.size ?? 0
      setTimeout(async () => {
        if (this.done) return
        this.upload.onloadstart?.({ loaded: 0, total: size })
        this.upload.onprogress?.({ loaded: Math.floor(size / 2), total: size })
        const answer = await store(request)
        if (this.done) return
        this.done = true
        if (answer === 'network') this.onerror?.()
        else if (answer !== 'hang') {
          this.upload.onprogress?.({ loaded: size, total: size })
          Object.assign(this, { status: answer.status ?? 200, etag: answer.etag, responseText: answer.text ?? '' })
          this.onload?.()
        }
        if (answer !== 'hang') this.onloadend?.()
      }, 1)
    }
  }
  return requests
}

/** A fetch answering from `routes['METHOD /path']` (a function of the parsed body); records calls. */
function fakeApi(routes) {
  const calls = []
  const fetch = async (url, init) => {
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError')
    const body = init.body ? JSON.parse(init.body) : undefined
    const key = `${init.method} ${url.split('?')[0]}`
    calls.push({ key, url, body, headers: init.headers, credentials: init.credentials })
    const route = routes[key]
    const [status, data] = route ? await route(body) : [404, { error: { code: 'not_found', message: `no route for ${url}` } }]
    return { ok: status < 300, status, text: async () => (data === undefined ? '' : JSON.stringify(data)) }
  }
  return { fetch, calls }
}

const presignPut = () => [200, {
  fileId: 'f1', method: 'PUT', url: 'http://s3/b/k?X-Amz-Signature=s', fields: {},
  headers: { 'Content-Type': 'text/plain', 'Content-Length': '5', Host: 's3', 'x-amz-meta-a': '1' },
}]
const confirmed = (body) => [200, { fileId: body.fileId, status: 'ready', size: 5, contentType: 'text/plain' }]

test('PUT sends the signed headers except those the browser sets, then confirms', async () => {
  const requests = fakeStore(() => ({ status: 200 }))
  const api = fakeApi({ 'POST /api/uploads/presign': presignPut, 'POST /api/uploads/confirm': confirmed })
  const seen = []
  const client = createClient({ token: 't', fetch: api.fetch })
  const doc = await client.upload(new File(['hello'], 'a.txt', { type: 'text/plain' }),
    { purpose: 'document', method: 'PUT', onProgress: (l, t) => seen.push([l, t]) })
  assert.deepEqual(doc, { fileId: 'f1', status: 'ready', size: 5, contentType: 'text/plain' })
  assert.deepEqual(requests[0].headers, { 'Content-Type': 'text/plain', 'x-amz-meta-a': '1' })
  assert.equal(requests[0].method, 'PUT')
  assert.deepEqual(api.calls[0].body, { purpose: 'document', fileName: 'a.txt', contentType: 'text/plain', fileSize: 5, method: 'PUT' })
  assert.equal(api.calls[0].headers.Authorization, 'Bearer t')
  assert.deepEqual(seen.at(-1), [5, 5])
  assert.deepEqual(seen[0], [0, 5])
})

test('a POST form has every field first and the file last; an empty type is octet-stream', async () => {
  const requests = fakeStore(() => ({ status: 204 }))
  const api = fakeApi({
    'POST /api/uploads/presign': () => [200, { fileId: 'f2', method: 'POST', url: 'http://s3/b', fields: { key: 'k', policy: 'p' }, headers: {} }],
    'POST /api/uploads/confirm': confirmed,
  })
  await createClient({ getToken: async () => 'g', fetch: api.fetch }).upload(new File(['hello'], 'README'), { purpose: 'document' })
  assert.equal(api.calls[0].body.contentType, 'application/octet-stream')
  assert.equal(api.calls[0].headers.Authorization, 'Bearer g')
  assert.deepEqual([...requests[0].body.keys()], ['key', 'policy', 'file'])
})

test("a single upload declares the file's SHA-256 and sends the header presignd signed", async () => {
  const requests = fakeStore(() => ({ status: 200 }))
  const sha = 'LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=' // SHA-256 of "hello"
  const api = fakeApi({
    'POST /api/uploads/presign': (body) => [200, { fileId: 'f3', method: 'PUT', url: 'http://s3/b/k', fields: {},
      headers: { 'Content-Type': 'text/plain', 'Content-Length': '5', 'x-amz-checksum-sha256': body.checksumSHA256 } }],
    'POST /api/uploads/confirm': confirmed,
  })
  await createClient({ token: 't', fetch: api.fetch }).upload(new File(['hello'], 'a.txt', { type: 'text/plain' }), { purpose: 'document' })
  assert.deepEqual(api.calls[0].body, { purpose: 'document', fileName: 'a.txt', contentType: 'text/plain', fileSize: 5, checksumSHA256: sha })
  assert.deepEqual(requests[0].headers, { 'Content-Type': 'text/plain', 'x-amz-checksum-sha256': sha })
})

test('a store that does not check SHA-256 gets the upload without it; checksum: false declares none', async () => {
  fakeStore(() => ({ status: 204 }))
  const api = fakeApi({
    'POST /api/uploads/presign': (body) => body.checksumSHA256
      ? [400, { error: { code: 'checksum_not_checked', message: 'the ceph store does not check "checksumSHA256"' } }]
      : [200, { fileId: 'f4', method: 'POST', url: 'http://s3/b', fields: { key: 'k' }, headers: {} }],
    'POST /api/uploads/confirm': confirmed,
  })
  await createClient({ token: 't', fetch: api.fetch }).upload(new File(['hello'], 'a.txt'), { purpose: 'document' })
  assert.deepEqual(api.calls.map((c) => [c.key, 'checksumSHA256' in (c.body || {})]),
    [['POST /api/uploads/presign', true], ['POST /api/uploads/presign', false], ['POST /api/uploads/confirm', false]])
  const plain = fakeApi({ 'POST /api/uploads/presign': () => [200, { fileId: 'f5', method: 'POST', url: 'http://s3/b', fields: {}, headers: {} }],
    'POST /api/uploads/confirm': confirmed })
  await createClient({ token: 't', fetch: plain.fetch, checksum: false }).upload(new File(['hello'], 'a.txt'), { purpose: 'document' })
  assert.equal('checksumSHA256' in plain.calls[0].body, false)
})

test("the API's error becomes a PresignError with its code, message and status", async () => {
  fakeStore(() => ({ status: 200 }))
  const api = fakeApi({ 'POST /api/uploads/presign': () => [400, { error: { code: 'content_type_not_allowed', message: 'must be image/' } }] })
  const error = await createClient({ fetch: api.fetch }).upload(new File(['x'], 'a.txt'), { purpose: 'avatar' }).catch((e) => e)
  assert.ok(error instanceof PresignError)
  assert.deepEqual([error.name, error.code, error.message, error.status], ['PresignError', 'content_type_not_allowed', 'must be image/', 400])
})

test('network errors and 5xx are retried, at most `tries` times, then the upload is discarded', async () => {
  let attempts = 0
  fakeStore(() => (++attempts === 1 ? 'network' : attempts === 2 ? { status: 503, text: '<Error><Code>SlowDown</Code></Error>' } : { status: 200 }))
  const api = fakeApi({ 'POST /api/uploads/presign': presignPut, 'POST /api/uploads/confirm': confirmed })
  const client = createClient({ fetch: api.fetch, retryDelay: 1 })
  await client.upload(new File(['hello'], 'a.txt'), { purpose: 'document' })
  assert.equal(attempts, 3)

  attempts = 0
  fakeStore(() => { attempts++; return 'network' })
  const error = await client.upload(new File(['hello'], 'a.txt'), { purpose: 'document' }).catch((e) => e)
  assert.equal(error.code, 'network_error')
  assert.equal(attempts, 4)
  // Without the abort route (404 "no route") the pending upload is deleted as a document.
  assert.deepEqual(api.calls.slice(-2).map((c) => c.key), ['DELETE /api/uploads/f1', 'DELETE /api/documents/f1'])
})

test('a store refusal is not retried and carries the XML code', async () => {
  let attempts = 0
  fakeStore(() => { attempts++; return { status: 400, text: '<Error><Code>EntityTooLarge</Code><Message>too big</Message></Error>' } })
  const api = fakeApi({ 'POST /api/uploads/presign': presignPut, 'DELETE /api/uploads/f1': () => [200, { fileId: 'f1', status: 'aborted' }] })
  const error = await createClient({ fetch: api.fetch, retryDelay: 1 }).upload(new File(['hello'], 'a'), { purpose: 'document' }).catch((e) => e)
  assert.deepEqual([error.code, error.status, attempts], ['EntityTooLarge', 400, 1])
  assert.match(error.message, /too big/)
  assert.equal(api.calls.at(-1).key, 'DELETE /api/uploads/f1')
})

function multipartApi(partSize, size) {
  const partCount = Math.ceil(size / partSize)
  const signs = []
  const api = fakeApi({
    'POST /api/uploads/multipart': () => [200, { fileId: 'm1', key: 'k', uploadId: 'u', partSize, partCount, expiresAt: 'x' }],
    'POST /api/uploads/m1/parts': (body) => {
      signs.push(body.partNumbers)
      return [200, { parts: body.partNumbers.map((n) => ({ partNumber: n, url: `http://s3/k?partNumber=${n}&sig=${signs.length}`,
        size: Math.min(partSize, size - (n - 1) * partSize) })), expiresAt: 'x' }]
    },
    'POST /api/uploads/m1/complete': (body) => [200, { fileId: 'm1', status: 'ready', size, contentType: 'video/mp4', parts: body.parts }],
    'DELETE /api/uploads/m1': () => [200, { fileId: 'm1', status: 'aborted' }],
  })
  return { ...api, signs }
}

test('multipart: parts are signed in batches, sliced exactly, an expired URL (403) is re-signed, complete gets the ETags in order', async () => {
  const data = new Uint8Array(250).map((_, i) => i)
  const failed = new Set()
  const requests = fakeStore(async (r) => {
    const n = Number(new URL(r.url).searchParams.get('partNumber'))
    if (n === 2 && !failed.has(n)) { failed.add(n); return { status: 403, text: '<Error><Code>AccessDenied</Code></Error>' } }
    return { status: 200, etag: `"etag-${n}"` }
  })
  const api = multipartApi(100, data.length)
  const seen = []
  const doc = await createClient({ fetch: api.fetch, multipartThreshold: 200, retryDelay: 1 })
    .upload(new File([data], 'v.mp4', { type: 'video/mp4' }), { purpose: 'document', onProgress: (l, t) => seen.push([l, t]) })
  assert.deepEqual(doc.parts, [1, 2, 3].map((n) => ({ partNumber: n, etag: `"etag-${n}"` })))
  assert.deepEqual(api.signs, [[1, 2, 3], [2]])
  const bodies = new Map()
  for (const r of requests) bodies.set(new URL(r.url).searchParams.get('partNumber'), new Uint8Array(await r.body.arrayBuffer()))
  assert.deepEqual([...bodies.get('1')], [...data.slice(0, 100)])
  assert.deepEqual([...bodies.get('3')], [...data.slice(200)])
  assert.deepEqual(seen.at(-1), [250, 250])
  assert.ok(seen.every(([l]) => l <= 250))
})

test("multipart with checksums: each part is hashed, signed with its SHA-256 on its own, and sends the signed header", async () => {
  const requests = fakeStore((r) => ({ status: 200, etag: `"e${new URL(r.url).searchParams.get('partNumber')}"` }))
  const signed = []
  const api = fakeApi({
    'POST /api/uploads/multipart': (body) => [200, { fileId: 'm1', key: 'k', uploadId: 'u', partSize: 3, partCount: 2, expiresAt: 'x',
      ...(body.checksumAlgorithm && { checksumAlgorithm: body.checksumAlgorithm }) }],
    'POST /api/uploads/m1/parts': (body) => {
      signed.push(body)
      return [200, { parts: body.partNumbers.map((n) => ({ partNumber: n, url: `http://s3/k?partNumber=${n}`, size: 3,
        headers: { 'x-amz-checksum-sha256': body.checksums[n] } })), expiresAt: 'x' }]
    },
    'POST /api/uploads/m1/complete': (body) => [200, { fileId: 'm1', status: 'ready', size: 6, contentType: 'text/plain' }],
  })
  await createClient({ fetch: api.fetch, multipartThreshold: 1, concurrency: 1 }).upload(new File(['abcdef'], 'x.txt'), { purpose: 'document' })
  assert.equal(api.calls[0].body.checksumAlgorithm, 'SHA256')
  // SHA-256 of "abc" and of "def".
  assert.deepEqual(signed, [
    { partNumbers: [1], checksums: { 1: 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=' } },
    { partNumbers: [2], checksums: { 2: 'y4N5rCCYqhZQKeOTilHaC87PwAj9Z5X0AReGR/lsWzQ=' } },
  ])
  assert.deepEqual(requests.map((r) => r.headers), [
    { 'x-amz-checksum-sha256': 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=' },
    { 'x-amz-checksum-sha256': 'y4N5rCCYqhZQKeOTilHaC87PwAj9Z5X0AReGR/lsWzQ=' },
  ])
})

test('multipart: more than 100 parts are signed 100 at a time', async () => {
  fakeStore((r) => ({ status: 200, etag: `"${r.url}"` }))
  const api = multipartApi(1, 150)
  await createClient({ fetch: api.fetch, multipartThreshold: 1 }).upload(new File([new Uint8Array(150)], 'x'), { purpose: 'document' })
  assert.deepEqual(api.signs.map((s) => [s[0], s.length]), [[1, 100], [101, 50]])
})

test('multipart: a hidden ETag (no ExposeHeaders in the CORS rule) fails clearly', async () => {
  fakeStore(() => ({ status: 200 }))
  const api = multipartApi(100, 250)
  const error = await createClient({ fetch: api.fetch, multipartThreshold: 200 })
    .upload(new File([new Uint8Array(250)], 'x'), { purpose: 'document' }).catch((e) => e)
  assert.equal(error.code, 'etag_not_exposed')
  assert.equal(api.calls.at(-1).key, 'DELETE /api/uploads/m1')
})

test('aborting a multipart upload stops every part and aborts it on the server', async () => {
  const requests = fakeStore(() => 'hang')
  const api = multipartApi(100, 250)
  const controller = new AbortController()
  const pending = createClient({ fetch: api.fetch, multipartThreshold: 200 })
    .upload(new File([new Uint8Array(250)], 'x'), { purpose: 'document', signal: controller.signal })
  while (requests.length < 3) await new Promise((resolve) => setTimeout(resolve, 1))
  controller.abort()
  const error = await pending.catch((e) => e)
  assert.deepEqual([error.name, error.code], ['AbortError', 'aborted'])
  assert.ok(requests.every((r) => r.xhr.done))
  assert.equal(api.calls.at(-1).key, 'DELETE /api/uploads/m1')
})

test('an already aborted signal rejects before anything is sent', async () => {
  const api = fakeApi({})
  const controller = new AbortController()
  controller.abort()
  const error = await createClient({ fetch: api.fetch }).upload(new File(['x'], 'a'), { purpose: 'document', signal: controller.signal }).catch((e) => e)
  assert.equal(error.code, 'aborted')
  assert.equal(api.calls.length, 0)
})

test('list, download, share, revoke, remove and the CDN cookie calls hit the documented routes', async () => {
  const api = fakeApi({
    'GET /api/documents': () => [200, { documents: [], nextCursor: null }],
    'GET /api/documents/d%2F1/download': () => [200, { url: 'http://s3/signed', fileName: 'a' }],
    'POST /api/documents/d1/shares': (body) => [201, { documentId: 'd1', userId: body.userId }],
    'DELETE /api/documents/d1/shares/b%20b': () => [204],
    'DELETE /api/documents/d1': () => [204],
    'POST /api/auth/cdn-cookies': () => [200, { expiresAt: 'x' }],
    'POST /api/auth/logout': () => [200, {}],
  })
  const client = createClient({ baseUrl: '', fetch: api.fetch })
  await client.list({ limit: 10, cursor: 'c' })
  assert.equal(api.calls[0].url, '/api/documents?limit=10&cursor=c')
  assert.equal(await client.download('d/1', { disposition: 'inline' }), 'http://s3/signed')
  assert.equal(api.calls[1].url, '/api/documents/d%2F1/download?disposition=inline')
  assert.deepEqual(await client.share('d1', 'bob'), { documentId: 'd1', userId: 'bob' })
  assert.equal(await client.revoke('d1', 'b b'), null)
  assert.equal(await client.remove('d1'), null)
  const [a, b] = [client.refreshCdnCookies(), client.refreshCdnCookies()]
  assert.equal(a, b) // one request for concurrent refreshes
  await a
  assert.equal(api.calls.filter((c) => c.key === 'POST /api/auth/cdn-cookies').length, 1)
  assert.equal(api.calls.at(-1).credentials, 'include')
  await client.logout()
  assert.equal(api.calls.at(-1).key, 'POST /api/auth/logout')
  const missing = await client.remove('nope').catch((e) => e)
  assert.deepEqual([missing.code, missing.status], ['not_found', 404])
})

test('an unreachable API is network_error', async () => {
  const error = await createClient({ fetch: async () => { throw new TypeError('Failed to fetch') } }).list().catch((e) => e)
  assert.deepEqual([error.code, error.status], ['network_error', 0])
})

test('a multipart upload cut off by the network is kept, and picking the same file again resumes it: only the missing part is sent', async () => {
  const data = new Uint8Array(250).map((_, i) => i)
  const file = new File([data], 'v.mp4', { type: 'video/mp4', lastModified: 1 })
  const uploads = memoryUploads()
  let down = true
  const requests = fakeStore((r) => {
    const n = Number(new URL(r.url).searchParams.get('partNumber'))
    return n === 3 && down ? 'network' : { status: 200, etag: `"etag-${n}"` }
  })
  const first = multipartApi(100, data.length)
  const error = await createClient({ fetch: first.fetch, multipartThreshold: 200, retryDelay: 1, tries: 2, uploads, concurrency: 1 })
    .upload(file, { purpose: 'document' }).catch((e) => e)
  assert.equal(error.code, 'network_error')
  assert.ok(!first.calls.some((c) => c.key.startsWith('DELETE')), 'not aborted: kept for a resume')
  const kept = await uploads.all()
  assert.deepEqual(kept.map((k) => [k.fileId, k.fileName, k.fileSize, k.purpose]), [['m1', 'v.mp4', 250, 'document']])
  assert.equal(kept[0].key, await fileIdentity(file))
  assert.ok(!JSON.stringify(kept).includes('http'), 'no URL is kept')

  // The page is reloaded: a new client, the same remembered uploads, the same file picked again.
  down = false
  requests.length = 0
  const second = multipartApi(100, data.length)
  const routes = second.fetch
  const resumed = []
  const fetch = (url, init) => {
    if (url.endsWith('/api/uploads/m1/resume')) {
      resumed.push(url)
      return Promise.resolve({ ok: true, status: 200, text: async () => JSON.stringify({
        fileId: 'm1', fileName: 'v.mp4', fileSize: 250, contentType: 'video/mp4', partSize: 100, partCount: 3, checksumAlgorithm: null,
        parts: [{ partNumber: 1, etag: '"etag-1"', size: 100 }, { partNumber: 2, etag: '"etag-2"', size: 100 }],
        missing: [3], bytesSent: 200, bytesMissing: 50 }) })
    }
    return routes(url, init)
  }
  const seen = []
  const doc = await createClient({ fetch, multipartThreshold: 200, uploads })
    .upload(file, { purpose: 'document', onProgress: (l) => seen.push(l) })
  assert.equal(resumed.length, 1)
  assert.ok(!second.calls.some((c) => c.key === 'POST /api/uploads/multipart'), 'no new upload is created')
  assert.deepEqual(requests.map((r) => new URL(r.url).searchParams.get('partNumber')), ['3'])
  assert.deepEqual(second.signs, [[3]], 'only the missing part is signed')
  assert.deepEqual(doc.parts, [1, 2, 3].map((n) => ({ partNumber: n, etag: `"etag-${n}"` })))
  assert.equal(seen[0], 200, 'progress starts from what was sent')
  assert.deepEqual(await uploads.all(), [], 'forgotten once complete')
})

test('another file under the same name and size is not resumed; an upload that ended is forgotten', async () => {
  fakeStore((r) => ({ status: 200, etag: `"e${new URL(r.url).searchParams.get('partNumber')}"` }))
  const uploads = memoryUploads()
  const original = new File([new Uint8Array(250).fill(1)], 'v.mp4', { lastModified: 1 })
  const other = new File([new Uint8Array(250).fill(2)], 'v.mp4', { lastModified: 1 })
  assert.notEqual(await fileIdentity(original), await fileIdentity(other))
  await uploads.put(await fileIdentity(original), { key: await fileIdentity(original), fileId: 'gone', fileName: 'v.mp4', fileSize: 250 })
  const api = multipartApi(100, 250)
  await createClient({ fetch: api.fetch, multipartThreshold: 200, uploads }).upload(other, { purpose: 'document' })
  assert.ok(!api.calls.some((c) => c.key.includes('/resume')), 'the other file is not taken for the remembered one')
  assert.equal((await uploads.all()).length, 1, 'the original is still remembered')

  // The original's upload expired at presignd (409): it is forgotten and a new one starts.
  const expired = multipartApi(100, 250)
  const fetch = (url, init) => url.endsWith('/api/uploads/gone/resume')
    ? Promise.resolve({ ok: false, status: 409, text: async () => JSON.stringify({ error: { code: 'upload_expired', message: 'expired' } }) })
    : expired.fetch(url, init)
  await createClient({ fetch, multipartThreshold: 200, uploads }).upload(original, { purpose: 'document' })
  assert.ok(expired.calls.some((c) => c.key === 'POST /api/uploads/multipart'))
  assert.deepEqual(await uploads.all(), [])
})

test('pause stops the parts under way and starts none; resume sends them again, and a pause is never a failed try', async () => {
  const requests = fakeStore(async () => { await new Promise((resolve) => setTimeout(resolve, 20)); return { status: 200, etag: '"e"' } })
  const api = multipartApi(100, 250)
  const upload = createClient({ fetch: api.fetch, multipartThreshold: 200, tries: 1, concurrency: 2 })
    .start(new File([new Uint8Array(250)], 'x'), { purpose: 'document' })
  while (requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 1))
  upload.pause()
  assert.equal(upload.paused, true)
  await new Promise((resolve) => setTimeout(resolve, 60))
  assert.equal(requests.length, 2, 'nothing starts while paused')
  assert.ok(requests.every((r) => r.xhr.done), 'the parts under way were stopped')
  upload.resume()
  const doc = await upload.done
  assert.equal(doc.status, 'ready')
  const sent = requests.map((r) => new URL(r.url).searchParams.get('partNumber'))
  assert.deepEqual(sent.slice(0, 2).sort(), ['1', '2'])
  assert.deepEqual(sent.slice(2).sort(), ['1', '2', '3'], 'the stopped parts are sent again, then the rest')
  assert.ok(!api.calls.some((c) => c.key.startsWith('DELETE')))
})

test('offline, a failed part waits for the browser to be online and goes on by itself, however many tries it took', async () => {
  const events = new EventTarget()
  globalThis.navigator ??= {}
  Object.defineProperty(globalThis.navigator, 'onLine', { value: true, writable: true, configurable: true })
  globalThis.addEventListener = events.addEventListener.bind(events)
  globalThis.removeEventListener = events.removeEventListener.bind(events)
  try {
    let failures = 0
    const requests = fakeStore(() => {
      // The connection drops while the first part is under way.
      if (failures === 0) globalThis.navigator.onLine = false
      if (globalThis.navigator.onLine) return { status: 200, etag: '"e"' }
      failures++
      return 'network'
    })
    const api = multipartApi(100, 250)
    const pending = createClient({ fetch: api.fetch, multipartThreshold: 200, tries: 1, retryDelay: 1, concurrency: 1 })
      .upload(new File([new Uint8Array(250)], 'x'), { purpose: 'document' })
    while (failures < 1) await new Promise((resolve) => setTimeout(resolve, 1))
    await new Promise((resolve) => setTimeout(resolve, 30))
    const whileOffline = requests.length
    globalThis.navigator.onLine = true
    events.dispatchEvent(new Event('online'))
    const doc = await pending
    assert.equal(doc.status, 'ready')
    assert.equal(whileOffline, 1, 'no retry while offline')
    assert.equal(requests.length, 4, 'the failed part again, then the other two')
  } finally {
    delete globalThis.addEventListener
    delete globalThis.removeEventListener
    globalThis.navigator.onLine = undefined
  }
})

test('pendingUploads forgets what presignd says has ended and keeps what it cannot ask about', async () => {
  const uploads = memoryUploads()
  for (const fileId of ['alive', 'expired', 'gone', 'unreachable']) await uploads.put(fileId, { key: fileId, fileId, fileName: `${fileId}.mp4`, fileSize: 1 })
  const answers = { alive: [200, { parts: [], missing: [1] }], expired: [409, { error: { code: 'upload_expired', message: 'expired' } }],
    gone: [404, { error: { code: 'not_found', message: 'none' } }] }
  const fetch = async (url) => {
    const id = url.split('/')[3]
    if (id === 'unreachable') throw new TypeError('Failed to fetch')
    const [status, data] = answers[id]
    return { ok: status < 300, status, text: async () => JSON.stringify(data) }
  }
  const pending = await createClient({ fetch, uploads }).pendingUploads()
  assert.deepEqual(pending.map((u) => u.fileId).sort(), ['alive', 'unreachable'])
  assert.deepEqual((await uploads.all()).map((u) => u.fileId).sort(), ['alive', 'unreachable'])
})

test('a resume refused for the caller (401) keeps the remembered upload, as pendingUploads does', async () => {
  const uploads = memoryUploads()
  const file = new File([new Uint8Array(250).fill(3)], 'v.mp4', { lastModified: 1 })
  const key = await fileIdentity(file)
  await uploads.put(key, { key, fileId: 'm1', fileName: 'v.mp4', fileSize: 250 })
  const api = fakeApi({ 'POST /api/uploads/m1/resume': () => [401, { error: { code: 'missing_token', message: 'sign in' } }] })
  const error = await createClient({ fetch: api.fetch, multipartThreshold: 200, uploads }).upload(file, { purpose: 'document' }).catch((e) => e)
  assert.equal(error.status, 401)
  assert.ok(!api.calls.some((c) => c.key === 'POST /api/uploads/multipart'))
  assert.deepEqual((await uploads.all()).map((u) => u.fileId), ['m1'])
})

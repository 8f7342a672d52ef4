// The demo page: everything it does goes through the client (../presignd.js).
import { createClient } from '../presignd.js'

const $ = (id) => document.getElementById(id)
const query = new URLSearchParams(location.search)
const hash = new URLSearchParams(location.hash.slice(1))
const tokenInput = $('token')
tokenInput.value = hash.get('token') || query.get('token') || sessionStorage.getItem('presignd-token') || ''

const number = (name) => (query.has(name) ? Number(query.get(name)) : undefined)
const client = createClient({
  getToken: () => tokenInput.value.trim(),
  // 8 MiB: with presignd's default purposes (documents up to 20 MiB) the page reaches multipart,
  // and with it pause, resume and coming back after a reload.
  multipartThreshold: number('multipartThreshold') ?? 8 * 1024 * 1024,
  retryDelay: number('retryDelay'),
  // ?checksum=0: uploads declare no SHA-256 (the client's default is to declare it).
  checksum: query.get('checksum') !== '0',
})
// For tests and the console: the page's own client.
window.presigndDemo = { client }

if (query.get('purpose')) $('purpose').value = query.get('purpose')
if (query.get('method')) $('method').value = query.get('method')

const show = (element, text) => {
  element.textContent = text || ''
  element.hidden = !text
}

const formatSize = (bytes) => bytes < 1024 ? `${bytes} B`
  : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`

function uploadFile(file) {
  const row = $('upload-row').content.firstElementChild.cloneNode(true)
  const bar = row.querySelector('progress')
  const percent = row.querySelector('[data-testid=progress]')
  const status = row.querySelector('[data-testid=upload-status]')
  const cancel = row.querySelector('[data-testid=cancel]')
  const pause = row.querySelector('[data-testid=pause]')
  const remaining = row.querySelector('[data-testid=remaining]')
  const setState = (state, text = state) => {
    status.dataset.state = state
    status.textContent = text
  }
  row.dataset.fileName = file.name
  row.querySelector('.name').textContent = file.name
  row.querySelector('.name').title = file.name
  $('uploads').append(row)

  const controller = new AbortController()
  cancel.onclick = () => controller.abort()
  const started = performance.now()
  const timing = (row.timing = { started, firstProgress: null })
  const upload = client.start(file, {
    purpose: $('purpose').value,
    // Empty: the client declares the file's SHA-256 and presignd picks the method (a PUT).
    method: $('method').value || undefined,
    signal: controller.signal,
    onProgress(loaded, total) {
      if (timing.firstProgress === null) {
        timing.firstProgress = performance.now() - started
        row.dataset.firstProgressMs = timing.firstProgress.toFixed(1)
      }
      const value = total ? Math.floor(loaded / total * 100) : 0
      bar.value = value
      percent.dataset.progress = value
      percent.textContent = `${value} %`
      remaining.dataset.bytes = total - loaded
      remaining.textContent = `${formatSize(total - loaded)} to send`
    },
  })
  pause.onclick = () => {
    if (upload.paused) upload.resume()
    else upload.pause()
    pause.textContent = upload.paused ? 'Resume' : 'Pause'
    setState(upload.paused ? 'paused' : 'uploading')
  }
  // The browser's network goes away: the upload waits by itself, and says so.
  const offline = () => setState('offline', 'offline: waiting for the network')
  const online = () => setState(upload.paused ? 'paused' : 'uploading')
  addEventListener('offline', offline)
  addEventListener('online', online)
  upload.done.finally(() => {
    removeEventListener('offline', offline)
    removeEventListener('online', online)
    pause.disabled = true
    showPending()
  }).catch(() => {})
  upload.done.then((doc) => {
    bar.value = 100
    percent.dataset.progress = 100
    percent.textContent = '100 %'
    remaining.dataset.bytes = 0
    remaining.textContent = ''
    row.dataset.fileId = doc.fileId
    row.dataset.durationMs = (performance.now() - started).toFixed(1)
    setState('done', `done (${doc.contentType})`)
    cancel.disabled = true
    refresh()
  }, (error) => {
    setState(error.code === 'aborted' ? 'cancelled' : 'error', error.code === 'aborted' ? 'cancelled' : 'failed')
    row.dataset.errorCode = error.code
    show(row.querySelector('[data-testid=upload-error]'), error.message)
    cancel.disabled = true
  })
}

function documentRow(doc) {
  const row = $('document-row').content.firstElementChild.cloneNode(true)
  const note = row.querySelector('[data-testid=document-message]')
  const userInput = row.querySelector('[data-testid=share-user]')
  row.dataset.id = doc.id
  row.dataset.fileName = doc.fileName
  row.dataset.owned = doc.owned
  row.querySelector('[data-testid=document-name]').textContent = doc.fileName
  row.querySelector('[data-testid=document-type]').textContent = doc.contentType
  row.querySelector('[data-testid=document-size]').textContent = formatSize(doc.size)
  row.querySelector('[data-testid=document-owner]').textContent = doc.owned ? 'you' : 'shared with you'
  if (doc.purpose === 'avatar') {
    // ?media=/media: avatars at fixed, cacheable URLs through nginx's media route, authorised by
    // the CDN cookies (run-local.sh opens the page so); otherwise a presigned download URL.
    // &sizes=thumb,small: the same avatar at each of those configured presets as well, made
    // (once, then cached) by nginx's image filter: /media/<key>?size=thumb.
    const media = query.get('media')
    const fixed = media && doc.key ? `${media}/${doc.key.split('/').map(encodeURIComponent).join('/')}` : null
    const source = fixed ? Promise.resolve(fixed) : client.download(doc.id, { disposition: 'inline' })
    source.then((url) => {
      const img = Object.assign(document.createElement('img'), { src: url, alt: doc.fileName })
      img.dataset.testid = 'thumb'
      row.querySelector('.thumb').append(img)
      const sizes = fixed ? (query.get('sizes') || '').split(',').filter(Boolean) : []
      if (sizes.length === 0) return
      const strip = Object.assign(document.createElement('div'), { className: 'sizes' })
      for (const size of sizes) {
        const sized = Object.assign(document.createElement('img'), { src: `${fixed}?size=${encodeURIComponent(size)}`, alt: `${doc.fileName} (${size})` })
        sized.dataset.testid = `avatar-${size}`
        const caption = Object.assign(document.createElement('figcaption'), { textContent: size })
        sized.addEventListener('load', () => { caption.textContent = `${size} ${sized.naturalWidth}×${sized.naturalHeight}` })
        const figure = document.createElement('figure')
        figure.append(sized, caption)
        strip.append(figure)
      }
      row.querySelector('.thumb').append(strip)
    }, (error) => show(note, error.message))
  }
  // Each action reports the API's message (or what it did) under the row.
  const act = (button, run) => {
    button.onclick = async () => {
      button.disabled = true
      try {
        show(note, await run())
      } catch (error) {
        show(note, error.message)
        note.dataset.errorCode = error.code
      } finally {
        button.disabled = false
      }
    }
  }
  act(row.querySelector('[data-testid=download]'), async () => {
    await client.download(doc.id, { save: true })
    return 'download started'
  })
  act(row.querySelector('[data-testid=share]'), async () => {
    await client.share(doc.id, userInput.value.trim())
    return `shared with ${userInput.value.trim()}`
  })
  act(row.querySelector('[data-testid=revoke]'), async () => {
    await client.revoke(doc.id, userInput.value.trim())
    return `no longer shared with ${userInput.value.trim()}`
  })
  act(row.querySelector('[data-testid=delete]'), async () => {
    await client.remove(doc.id)
    row.remove()
    return ''
  })
  if (!doc.owned) row.querySelectorAll('[data-testid=share-user], [data-testid=share], [data-testid=revoke], [data-testid=delete]')
    .forEach((element) => element.remove())
  return row
}

let generation = 0
async function refresh() {
  const mine = ++generation
  const state = $('documents-state')
  state.textContent = 'Loading…'
  try {
    const rows = []
    let cursor
    do {
      const page = await client.list({ limit: 100, cursor })
      rows.push(...page.documents.map(documentRow))
      cursor = page.nextCursor
    } while (cursor)
    if (mine !== generation) return
    $('documents').replaceChildren(...rows)
    show($('message'), '')
    state.textContent = rows.length ? `${rows.length} document(s)` : 'No documents yet.'
    state.dataset.loaded = mine
  } catch (error) {
    if (mine !== generation) return
    show($('message'), error.message)
    state.textContent = 'Could not load the documents.'
  }
}

/** The unfinished uploads this browser remembers (IndexedDB): pick the same file to resume one. */
async function showPending() {
  const list = $('pending')
  const uploads = await client.pendingUploads().catch(() => [])
  list.replaceChildren(...uploads.map((kept) => {
    const row = $('pending-row').content.firstElementChild.cloneNode(true)
    row.dataset.fileId = kept.fileId
    row.dataset.fileName = kept.fileName
    row.querySelector('.name').textContent = kept.fileName
    row.querySelector('.size').textContent = formatSize(kept.fileSize)
    row.querySelector('[data-testid=forget]').onclick = () => client.forgetUpload(kept.fileId).finally(showPending)
    return row
  }))
  $('pending-section').hidden = uploads.length === 0
}
showPending()

$('file-input').addEventListener('change', (event) => {
  for (const file of event.target.files) uploadFile(file)
  event.target.value = ''
})
const zone = $('dropzone')
zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over') })
zone.addEventListener('dragleave', () => zone.classList.remove('over'))
zone.addEventListener('drop', (event) => {
  event.preventDefault()
  zone.classList.remove('over')
  for (const file of event.dataTransfer.files) uploadFile(file)
})
$('refresh').onclick = refresh
tokenInput.addEventListener('change', () => {
  sessionStorage.setItem('presignd-token', tokenInput.value.trim())
  refresh()
})

if (tokenInput.value) {
  refresh()
  client.startCdnCookies()
  client.watchImages(document.body)
}

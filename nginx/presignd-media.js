// presignd media origin: the store's response headers reach the cache (and the client) only if
// named here. js_header_filter runs before the client-facing server caches the response, so a
// cache HIT serves only these too. Lower case; nginx adds Date, Server and Connection itself.
const ALLOWED = {
    'content-type': 1, 'content-length': 1, 'etag': 1, 'last-modified': 1,
    'accept-ranges': 1, 'content-range': 1,
};

function allow_list(r) {
    for (const name in r.headersOut) {
        if (!ALLOWED[name.toLowerCase()]) {
            delete r.headersOut[name];
        }
    }
}

// On nginx's own JSON errors after the store had answered (image_filter's "too big"): none of the
// store's headers.
function error_headers(r) {
    for (const name in r.headersOut) {
        const n = name.toLowerCase();
        if (n !== 'content-type' && n !== 'content-length' && n !== 'retry-after') {
            delete r.headersOut[name];
        }
    }
}

export default { allow_list, error_headers };

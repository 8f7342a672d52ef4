import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// The OpenAPI 3.1 document of every route, served at `GET /api/openapi.json`. The Uppy routes are
/// described at their default prefix, `/api/uppy`. `OpenAPIDocumentTests` fails when a route is
/// missing here or an operation here has no route.
package enum OpenAPIDocument {
    package static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "presignd",
    "version": "1",
    "description": "Signs S3 presigned uploads and downloads and CloudFront cookies for authenticated users. Every `/api/` route but this document needs `Authorization: Bearer <JWT>` (or the configured cookie); bodies are JSON (`Content-Type: application/json`, at most 64 KiB); every error is `{\"error\": {\"code\", \"message\"}}` with the matching status."
  },
  "tags": [
    {
      "name": "uploads"
    },
    {
      "name": "uppy"
    },
    {
      "name": "documents"
    },
    {
      "name": "cdn"
    },
    {
      "name": "health"
    },
    {
      "name": "media"
    }
  ],
  "paths": {
    "/healthz": {
      "get": {
        "operationId": "getHealth",
        "summary": "The process is up and serving",
        "tags": [
          "health"
        ],
        "description": "Needs no token and touches nothing else.",
        "security": [],
        "responses": {
          "200": {
            "description": "Serving.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                }
              }
            }
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          }
        }
      }
    },
    "/readyz": {
      "get": {
        "operationId": "getReadiness",
        "summary": "PostgreSQL answers",
        "tags": [
          "health"
        ],
        "description": "200 when PostgreSQL answers, 503 otherwise. Needs no token.",
        "security": [],
        "responses": {
          "200": {
            "description": "Ready to serve.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Readiness"
                }
              }
            }
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/media/{key}": {
      "get": {
        "operationId": "getMedia",
        "summary": "An object at a fixed URL, authorised by CloudFront signed cookies",
        "tags": [
          "media"
        ],
        "description": "Exists when a CDN is configured. Needs no bearer token: the request's CloudFront signed cookies (from POST /api/auth/cdn-cookies) must allow https://<CDN domain>/<key>, checked as CloudFront would. Owner-only paths (PRESIGND_MEDIA_OWNER_PATHS) also need the owner's JWT cookie. presignd answers nginx with X-Accel-Redirect; nginx fetches the object with a short presigned GET, caches it by key and sends the bytes (Range and conditional requests included).",
        "security": [],
        "parameters": [
          {
            "name": "key",
            "in": "path",
            "required": true,
            "description": "The object key, slashes included (avatars/alice/photo.png). Dot segments, empty segments, encoded slashes that would make them, backslashes and control characters are refused with 400.",
            "schema": {
              "type": "string",
              "maxLength": 1024
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The object's bytes, sent by nginx.",
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          }
        }
      }
    },
    "/api/openapi.json": {
      "get": {
        "operationId": "getOpenAPIDocument",
        "summary": "This document",
        "tags": [
          "health"
        ],
        "description": "The OpenAPI 3.1 document describing every route. Needs no token.",
        "security": [],
        "responses": {
          "200": {
            "description": "The document.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "openapi",
                    "info",
                    "paths"
                  ]
                }
              }
            }
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          }
        }
      }
    },
    "/api/uploads/presign": {
      "post": {
        "operationId": "presignUpload",
        "summary": "Sign a single-request upload",
        "tags": [
          "uploads"
        ],
        "description": "Validates the request against the purpose, records a `pending` upload and returns a presigned POST form (the default; the store enforces size, type and key) or a presigned PUT URL (`\"method\": \"PUT\"`; send the listed headers). Confirm it with `POST /api/uploads/confirm`.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/PresignRequest"
              },
              "example": {
                "purpose": "document",
                "fileName": "Contract.pdf",
                "contentType": "application/pdf",
                "fileSize": 1000
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The form or URL to upload with.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PresignedUpload"
                }
              }
            },
            "links": {
              "confirm": {
                "operationId": "confirmUpload",
                "requestBody": {
                  "fileId": "$response.body#/fileId"
                },
                "description": "Confirm this upload."
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/uploads/confirm": {
      "post": {
        "operationId": "confirmUpload",
        "summary": "Confirm a single-request upload",
        "tags": [
          "uploads"
        ],
        "description": "HeadObject on the key: the declared size and type make the upload `ready`; a mismatch deletes the object (422); not uploaded yet is 409. Takes `{fileId}`, or `{key}` as Uppy reports it.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ConfirmRequest"
              },
              "example": {
                "fileId": "0b6f8a4e-3c1d-4f6a-9a7e-2d5c8b1e4f90"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The upload is ready.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/FinishedUpload"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "502": {
            "$ref": "#/components/responses/StorageRefused"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/uploads/multipart": {
      "post": {
        "operationId": "createMultipartUpload",
        "summary": "Start a multipart upload",
        "tags": [
          "uploads"
        ],
        "description": "Validates, creates the multipart upload in the store and records it as `uploading`. presignd plans the parts: every part `partSize` bytes except the last.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/MultipartRequest"
              },
              "example": {
                "purpose": "document",
                "fileName": "Video.mp4",
                "contentType": "video/mp4",
                "fileSize": 20000
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The upload and its part plan.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/MultipartUpload"
                }
              }
            },
            "links": {
              "signParts": {
                "operationId": "signUploadParts",
                "parameters": {
                  "id": "$response.body#/fileId"
                },
                "requestBody": {
                  "partNumbers": [
                    1
                  ]
                }
              },
              "listParts": {
                "operationId": "listUploadParts",
                "parameters": {
                  "id": "$response.body#/fileId"
                }
              },
              "complete": {
                "operationId": "completeMultipartUpload",
                "parameters": {
                  "id": "$response.body#/fileId"
                }
              },
              "abort": {
                "operationId": "abortUpload",
                "parameters": {
                  "id": "$response.body#/fileId"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "502": {
            "$ref": "#/components/responses/StorageRefused"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/uploads/{id}/parts": {
      "post": {
        "operationId": "signUploadParts",
        "summary": "Sign part URLs",
        "tags": [
          "uploads"
        ],
        "description": "Presigned UploadPart URLs, each signing its part's exact `Content-Length`.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The upload's or document's id (`fileId`); anything not shaped like a UUID is a 404.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/PartNumbersRequest"
              },
              "example": {
                "partNumbers": [
                  1
                ]
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "One URL per part asked for.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SignedParts"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "get": {
        "operationId": "listUploadParts",
        "summary": "List the uploaded parts",
        "tags": [
          "uploads"
        ],
        "description": "ListParts for an upload still in progress.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The upload's or document's id (`fileId`); anything not shaped like a UUID is a 404.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The parts the store holds.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UploadedParts"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "502": {
            "$ref": "#/components/responses/StorageRefused"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/uploads/{id}/complete": {
      "post": {
        "operationId": "completeMultipartUpload",
        "summary": "Complete a multipart upload",
        "tags": [
          "uploads"
        ],
        "description": "Checks the parts against ListParts (ascending from 1, the ETags the store holds, the planned sizes), completes the upload and confirms it with HeadObject.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The upload's or document's id (`fileId`); anything not shaped like a UUID is a 404.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/CompleteRequest"
              },
              "example": {
                "parts": [
                  {
                    "partNumber": 1,
                    "etag": "\"5d41402abc4b2a76b9719d911017c592\""
                  }
                ]
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The upload is ready.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/FinishedUpload"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "502": {
            "$ref": "#/components/responses/StorageRefused"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/uploads/{id}": {
      "delete": {
        "operationId": "abortUpload",
        "summary": "Cancel an unfinished upload",
        "tags": [
          "uploads"
        ],
        "description": "Aborts the multipart upload (or forgets a pending single-request upload).",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The upload's or document's id (`fileId`); anything not shaped like a UUID is a 404.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The upload is cancelled.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/AbortedUpload"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "502": {
            "$ref": "#/components/responses/StorageRefused"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/uppy/s3/params": {
      "get": {
        "operationId": "uppySignUpload",
        "summary": "Sign a single-request upload (Uppy)",
        "tags": [
          "uppy"
        ],
        "description": "Uppy's S3 protocol (`@uppy/aws-s3` with `endpoint: '/api/uppy'`; the prefix is configurable with `PRESIGND_UPPY_PREFIX`). Errors add a top-level `message`, which Uppy shows. The upload declares the purpose's maximum size; confirm it with `POST /api/uploads/confirm {\"key\": …}`.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "filename",
            "in": "query",
            "required": true,
            "description": "The file's name (names are kept to 255 bytes).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 255
            }
          },
          {
            "name": "type",
            "in": "query",
            "required": false,
            "description": "The file's media type; empty or absent is application/octet-stream.",
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          },
          {
            "name": "metadata[purpose]",
            "in": "query",
            "required": false,
            "description": "The purpose; empty or absent is the configured default.",
            "schema": {
              "type": "string",
              "maxLength": 64
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The form or URL to upload with.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UppyParams"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/UppyBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/UppyUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/UppyForbidden"
          },
          "404": {
            "$ref": "#/components/responses/UppyNotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "503": {
            "$ref": "#/components/responses/UppyUnavailable"
          }
        }
      }
    },
    "/api/uppy/s3/multipart": {
      "post": {
        "operationId": "uppyCreateMultipartUpload",
        "summary": "Start a multipart upload (Uppy)",
        "tags": [
          "uppy"
        ],
        "description": "Uppy's S3 protocol (`@uppy/aws-s3` with `endpoint: '/api/uppy'`; the prefix is configurable with `PRESIGND_UPPY_PREFIX`). Errors add a top-level `message`, which Uppy shows.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/UppyCreateRequest"
              },
              "example": {
                "filename": "Video.mp4",
                "type": "video/mp4",
                "metadata": {
                  "purpose": "document"
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The upload.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UppyMultipartUpload"
                }
              }
            },
            "links": {
              "batch": {
                "operationId": "uppySignPartBatch",
                "parameters": {
                  "uploadId": "$response.body#/uploadId",
                  "key": "$response.body#/key",
                  "partNumbers": "1"
                }
              },
              "signPart": {
                "operationId": "uppySignPart",
                "parameters": {
                  "uploadId": "$response.body#/uploadId",
                  "key": "$response.body#/key",
                  "partNumber": "1"
                }
              },
              "listParts": {
                "operationId": "uppyListParts",
                "parameters": {
                  "uploadId": "$response.body#/uploadId",
                  "key": "$response.body#/key"
                }
              },
              "complete": {
                "operationId": "uppyCompleteMultipartUpload",
                "parameters": {
                  "uploadId": "$response.body#/uploadId",
                  "key": "$response.body#/key"
                }
              },
              "abort": {
                "operationId": "uppyAbortMultipartUpload",
                "parameters": {
                  "uploadId": "$response.body#/uploadId",
                  "key": "$response.body#/key"
                }
              },
              "signPartsById": {
                "operationId": "signUploadParts",
                "parameters": {
                  "id": "$response.body#/fileId"
                },
                "requestBody": {
                  "partNumbers": [
                    1
                  ]
                }
              },
              "listPartsById": {
                "operationId": "listUploadParts",
                "parameters": {
                  "id": "$response.body#/fileId"
                }
              },
              "abortById": {
                "operationId": "abortUpload",
                "parameters": {
                  "id": "$response.body#/fileId"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/UppyBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/UppyUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/UppyForbidden"
          },
          "404": {
            "$ref": "#/components/responses/UppyNotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UppyUnsupportedMediaType"
          },
          "502": {
            "$ref": "#/components/responses/UppyStorageRefused"
          },
          "503": {
            "$ref": "#/components/responses/UppyUnavailable"
          }
        }
      }
    },
    "/api/uppy/s3/multipart/{uploadId}/batch": {
      "get": {
        "operationId": "uppySignPartBatch",
        "summary": "Sign part URLs (Uppy)",
        "tags": [
          "uppy"
        ],
        "description": "Uppy's S3 protocol (`@uppy/aws-s3` with `endpoint: '/api/uppy'`; the prefix is configurable with `PRESIGND_UPPY_PREFIX`). Errors add a top-level `message`, which Uppy shows.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "uploadId",
            "in": "path",
            "required": true,
            "description": "The store's multipart uploadId, as `POST /api/uppy/s3/multipart` returned it.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "pattern": "^[\\x21-\\x7e]+$"
            }
          },
          {
            "name": "key",
            "in": "query",
            "required": true,
            "description": "The object key the upload was created with; it must belong to the uploadId.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "pattern": "^[\\x21-\\x7e]+$"
            }
          },
          {
            "name": "partNumbers",
            "in": "query",
            "required": true,
            "description": "Comma-separated part numbers, 1 to 100 of them, each 1…10000.",
            "schema": {
              "type": "string",
              "maxLength": 600,
              "pattern": "^[0-9]+(,[0-9]+)*$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "One URL per part number.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UppyPresignedUrls"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/UppyBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/UppyUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/UppyForbidden"
          },
          "404": {
            "$ref": "#/components/responses/UppyNotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "409": {
            "$ref": "#/components/responses/UppyConflict"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "422": {
            "$ref": "#/components/responses/UppyUnprocessable"
          },
          "503": {
            "$ref": "#/components/responses/UppyUnavailable"
          }
        }
      }
    },
    "/api/uppy/s3/multipart/{uploadId}/{partNumber}": {
      "get": {
        "operationId": "uppySignPart",
        "summary": "Sign one part URL (Uppy)",
        "tags": [
          "uppy"
        ],
        "description": "Uppy's S3 protocol (`@uppy/aws-s3` with `endpoint: '/api/uppy'`; the prefix is configurable with `PRESIGND_UPPY_PREFIX`). Errors add a top-level `message`, which Uppy shows.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "uploadId",
            "in": "path",
            "required": true,
            "description": "The store's multipart uploadId, as `POST /api/uppy/s3/multipart` returned it.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "pattern": "^[\\x21-\\x7e]+$"
            }
          },
          {
            "name": "partNumber",
            "in": "path",
            "required": true,
            "description": "The part number.",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 10000
            }
          },
          {
            "name": "key",
            "in": "query",
            "required": true,
            "description": "The object key the upload was created with; it must belong to the uploadId.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "pattern": "^[\\x21-\\x7e]+$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The part's URL.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UppySignedPart"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/UppyBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/UppyUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/UppyForbidden"
          },
          "404": {
            "$ref": "#/components/responses/UppyNotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "409": {
            "$ref": "#/components/responses/UppyConflict"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "422": {
            "$ref": "#/components/responses/UppyUnprocessable"
          },
          "503": {
            "$ref": "#/components/responses/UppyUnavailable"
          }
        }
      }
    },
    "/api/uppy/s3/multipart/{uploadId}": {
      "get": {
        "operationId": "uppyListParts",
        "summary": "List the uploaded parts (Uppy)",
        "tags": [
          "uppy"
        ],
        "description": "Uppy's S3 protocol (`@uppy/aws-s3` with `endpoint: '/api/uppy'`; the prefix is configurable with `PRESIGND_UPPY_PREFIX`). Errors add a top-level `message`, which Uppy shows.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "uploadId",
            "in": "path",
            "required": true,
            "description": "The store's multipart uploadId, as `POST /api/uppy/s3/multipart` returned it.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "pattern": "^[\\x21-\\x7e]+$"
            }
          },
          {
            "name": "key",
            "in": "query",
            "required": true,
            "description": "The object key the upload was created with; it must belong to the uploadId.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "pattern": "^[\\x21-\\x7e]+$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The parts the store holds.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UppyParts"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/UppyBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/UppyUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/UppyForbidden"
          },
          "404": {
            "$ref": "#/components/responses/UppyNotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "409": {
            "$ref": "#/components/responses/UppyConflict"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "422": {
            "$ref": "#/components/responses/UppyUnprocessable"
          },
          "502": {
            "$ref": "#/components/responses/UppyStorageRefused"
          },
          "503": {
            "$ref": "#/components/responses/UppyUnavailable"
          }
        }
      },
      "delete": {
        "operationId": "uppyAbortMultipartUpload",
        "summary": "Cancel a multipart upload (Uppy)",
        "tags": [
          "uppy"
        ],
        "description": "Uppy's S3 protocol (`@uppy/aws-s3` with `endpoint: '/api/uppy'`; the prefix is configurable with `PRESIGND_UPPY_PREFIX`). Errors add a top-level `message`, which Uppy shows. Answers `{}`: Uppy fails on an empty 204.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "uploadId",
            "in": "path",
            "required": true,
            "description": "The store's multipart uploadId, as `POST /api/uppy/s3/multipart` returned it.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "pattern": "^[\\x21-\\x7e]+$"
            }
          },
          {
            "name": "key",
            "in": "query",
            "required": true,
            "description": "The object key the upload was created with; it must belong to the uploadId.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "pattern": "^[\\x21-\\x7e]+$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The upload is cancelled.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "maxProperties": 0
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/UppyBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/UppyUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/UppyForbidden"
          },
          "404": {
            "$ref": "#/components/responses/UppyNotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "409": {
            "$ref": "#/components/responses/UppyConflict"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "422": {
            "$ref": "#/components/responses/UppyUnprocessable"
          },
          "502": {
            "$ref": "#/components/responses/UppyStorageRefused"
          },
          "503": {
            "$ref": "#/components/responses/UppyUnavailable"
          }
        }
      }
    },
    "/api/uppy/s3/multipart/{uploadId}/complete": {
      "post": {
        "operationId": "uppyCompleteMultipartUpload",
        "summary": "Complete a multipart upload (Uppy)",
        "tags": [
          "uppy"
        ],
        "description": "Uppy's S3 protocol (`@uppy/aws-s3` with `endpoint: '/api/uppy'`; the prefix is configurable with `PRESIGND_UPPY_PREFIX`). Errors add a top-level `message`, which Uppy shows.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "uploadId",
            "in": "path",
            "required": true,
            "description": "The store's multipart uploadId, as `POST /api/uppy/s3/multipart` returned it.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "pattern": "^[\\x21-\\x7e]+$"
            }
          },
          {
            "name": "key",
            "in": "query",
            "required": true,
            "description": "The object key the upload was created with; it must belong to the uploadId.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "pattern": "^[\\x21-\\x7e]+$"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/UppyCompleteRequest"
              },
              "example": {
                "parts": [
                  {
                    "PartNumber": 1,
                    "ETag": "\"5d41402abc4b2a76b9719d911017c592\""
                  }
                ]
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The upload is ready.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UppyCompletedUpload"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/UppyBadRequest"
          },
          "401": {
            "$ref": "#/components/responses/UppyUnauthorized"
          },
          "403": {
            "$ref": "#/components/responses/UppyForbidden"
          },
          "404": {
            "$ref": "#/components/responses/UppyNotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "409": {
            "$ref": "#/components/responses/UppyConflict"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "415": {
            "$ref": "#/components/responses/UppyUnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UppyUnprocessable"
          },
          "502": {
            "$ref": "#/components/responses/UppyStorageRefused"
          },
          "503": {
            "$ref": "#/components/responses/UppyUnavailable"
          }
        }
      }
    },
    "/api/documents": {
      "get": {
        "operationId": "listDocuments",
        "summary": "List your documents",
        "tags": [
          "documents"
        ],
        "description": "The caller's ready documents and those shared with them, newest first, paged.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Page size.",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 100,
              "default": 50
            }
          },
          {
            "name": "cursor",
            "in": "query",
            "required": false,
            "description": "`nextCursor` of the previous page.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "One page.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DocumentPage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/usage": {
      "get": {
        "operationId": "getUsage",
        "summary": "Your usage and quotas",
        "tags": [
          "uploads"
        ],
        "description": "Files and bytes the caller holds per configured purpose (unfinished uploads at their declared size, ready ones at their actual size) and each purpose's quota (null: no limit).",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "responses": {
          "200": {
            "description": "Usage per purpose.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Usage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/documents/{id}/download": {
      "get": {
        "operationId": "downloadDocument",
        "summary": "Sign a download URL",
        "tags": [
          "documents"
        ],
        "description": "Owner or shared user: a presigned GET with `Content-Disposition` (`inline` only for images, PDF, plain text, audio and video). Anyone else: 404.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The document's id; anything not shaped like a UUID is a 404.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          },
          {
            "name": "disposition",
            "in": "query",
            "required": false,
            "description": "How the browser should treat the file.",
            "schema": {
              "type": "string",
              "enum": [
                "attachment",
                "inline"
              ],
              "default": "attachment"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The URL to download from.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Download"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/documents/{id}/shares": {
      "post": {
        "operationId": "shareDocument",
        "summary": "Share a document",
        "tags": [
          "documents"
        ],
        "description": "Owner only.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The document's id; anything not shaped like a UUID is a 404.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ShareRequest"
              },
              "example": {
                "userId": "bob"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Shared (sharing again changes nothing).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Share"
                }
              }
            },
            "links": {
              "unshare": {
                "operationId": "unshareDocument",
                "parameters": {
                  "id": "$response.body#/documentId",
                  "userId": "$response.body#/userId"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/documents/{id}/shares/{userId}": {
      "delete": {
        "operationId": "unshareDocument",
        "summary": "Stop sharing a document",
        "tags": [
          "documents"
        ],
        "description": "Owner only.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The document's id; anything not shaped like a UUID is a 404.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          },
          {
            "name": "userId",
            "in": "path",
            "required": true,
            "description": "The user to stop sharing with.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 256
            }
          }
        ],
        "responses": {
          "204": {
            "description": "No longer shared."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/documents/{id}": {
      "delete": {
        "operationId": "deleteDocument",
        "summary": "Delete a document",
        "tags": [
          "documents"
        ],
        "description": "Owner only: deletes the object, then the row.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The document's id; anything not shaped like a UUID is a 404.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "414": {
            "$ref": "#/components/responses/PathTooLong"
          },
          "502": {
            "$ref": "#/components/responses/StorageRefused"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/auth/cdn-cookies": {
      "post": {
        "operationId": "issueCDNCookies",
        "summary": "CloudFront signed cookies",
        "tags": [
          "cdn"
        ],
        "description": "Signed cookies for the configured CDN path (only when `PRESIGND_CDN_DOMAIN` is set).",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "responses": {
          "200": {
            "description": "The cookies are set.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CDNCookies"
                }
              }
            },
            "headers": {
              "Set-Cookie": {
                "description": "`CloudFront-Policy`, `CloudFront-Signature` and `CloudFront-Key-Pair-Id`, one header each.",
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/auth/logout": {
      "post": {
        "operationId": "logout",
        "summary": "Clear the CloudFront cookies",
        "tags": [
          "cdn"
        ],
        "description": "Only when `PRESIGND_CDN_DOMAIN` is set.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "responses": {
          "200": {
            "description": "The cookies are cleared.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/LoggedOut"
                }
              }
            },
            "headers": {
              "Set-Cookie": {
                "description": "`CloudFront-Policy`, `CloudFront-Signature` and `CloudFront-Key-Pair-Id`, one header each.",
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "405": {
            "$ref": "#/components/responses/MethodNotAllowed"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT"
      }
    },
    "responses": {
      "BadRequest": {
        "description": "Bad input; the message names the field. `invalid_request` (an unreadable Authorization) comes with `WWW-Authenticate`.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No token, or a token that was refused (`missing_token`, `invalid_token`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "headers": {
          "WWW-Authenticate": {
            "description": "RFC 6750 challenge, e.g. `Bearer error=\"invalid_token\", error_description=\"token expired\"`.",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "Forbidden": {
        "description": "`insufficient_scope` (with `WWW-Authenticate`): the token lacks the route group's scope; `invalid_user`: the token's user id is unusable; `quota_exceeded` (uploads): the upload would take the caller past the purpose's quota — the message says the limit, the usage and what to delete.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "headers": {
          "WWW-Authenticate": {
            "description": "RFC 6750 challenge with `error=\"insufficient_scope\"`.",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "NotFound": {
        "description": "No such resource of yours (someone else's looks the same), or no route.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Conflict": {
        "description": "The upload is not in a state that allows this (`upload_incomplete`, `upload_aborted`, `upload_expired`, `upload_completed`, `not_multipart`, `multipart_upload`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "The body was not sent as `Content-Type: application/json`.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unprocessable": {
        "description": "`upload_rejected`: the stored object does not match the declaration and was deleted; `file_too_large`: the parts add up to more than the purpose allows.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "StorageRefused": {
        "description": "`storage_refused`: the object store refused presignd's own request; the operator must fix the storage credentials or permissions.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unavailable": {
        "description": "`database_unavailable`, `storage_unavailable`, `auth_unavailable` (with `Retry-After`), or `credentials_expired` (the operator must renew them).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "headers": {
          "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "UppyBadRequest": {
        "description": "Bad input; the message names the field. `invalid_request` (an unreadable Authorization) comes with `WWW-Authenticate`.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/UppyError"
            }
          }
        }
      },
      "UppyUnauthorized": {
        "description": "No token, or a token that was refused (`missing_token`, `invalid_token`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/UppyError"
            }
          }
        },
        "headers": {
          "WWW-Authenticate": {
            "description": "RFC 6750 challenge, e.g. `Bearer error=\"invalid_token\", error_description=\"token expired\"`.",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "UppyForbidden": {
        "description": "`insufficient_scope` (with `WWW-Authenticate`): the token lacks the route group's scope; `invalid_user`: the token's user id is unusable; `quota_exceeded` (uploads): the upload would take the caller past the purpose's quota — the message says the limit, the usage and what to delete.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/UppyError"
            }
          }
        },
        "headers": {
          "WWW-Authenticate": {
            "description": "RFC 6750 challenge with `error=\"insufficient_scope\"`.",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "UppyNotFound": {
        "description": "No such resource of yours (someone else's looks the same), or no route.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/UppyError"
            }
          }
        }
      },
      "UppyConflict": {
        "description": "The upload is not in a state that allows this (`upload_incomplete`, `upload_aborted`, `upload_expired`, `upload_completed`, `not_multipart`, `multipart_upload`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/UppyError"
            }
          }
        }
      },
      "UppyUnsupportedMediaType": {
        "description": "The body was not sent as `Content-Type: application/json`.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/UppyError"
            }
          }
        }
      },
      "UppyUnprocessable": {
        "description": "`upload_rejected`: the stored object does not match the declaration and was deleted; `file_too_large`: the parts add up to more than the purpose allows.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/UppyError"
            }
          }
        }
      },
      "UppyStorageRefused": {
        "description": "`storage_refused`: the object store refused presignd's own request; the operator must fix the storage credentials or permissions.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/UppyError"
            }
          }
        }
      },
      "UppyUnavailable": {
        "description": "`database_unavailable`, `storage_unavailable`, `auth_unavailable` (with `Retry-After`), or `credentials_expired` (the operator must renew them).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/UppyError"
            }
          }
        },
        "headers": {
          "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "MethodNotAllowed": {
        "description": "The path exists but not for this method.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "headers": {
          "Allow": {
            "description": "The methods the path takes, e.g. `GET, HEAD`.",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "PathTooLong": {
        "description": "`path_too_long`: the percent-encoded path is over 2048 bytes.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "BodyTooLarge": {
        "description": "`body_too_large`: the body is over `PRESIGND_BODY_LIMIT` (64 KiB by default).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "code",
              "message"
            ],
            "properties": {
              "code": {
                "type": "string",
                "description": "Stable and machine-readable, e.g. `file_too_large`; README's \"Statuses and codes\" says what each means.",
                "enum": [
                  "auth_unavailable",
                  "bad_content_length",
                  "bad_method",
                  "bad_path",
                  "bad_query",
                  "body_too_large",
                  "content_type_not_allowed",
                  "credentials_expired",
                  "cross_site_request",
                  "database_unavailable",
                  "file_too_large",
                  "headers_too_large",
                  "insufficient_scope",
                  "internal_error",
                  "invalid_bucket",
                  "invalid_endpoint",
                  "invalid_expiry",
                  "invalid_field",
                  "invalid_header",
                  "invalid_key",
                  "invalid_method",
                  "invalid_part_number",
                  "invalid_part_size",
                  "invalid_parts",
                  "invalid_path",
                  "invalid_policy",
                  "invalid_purpose",
                  "invalid_query",
                  "invalid_region",
                  "invalid_request",
                  "invalid_signing_key",
                  "invalid_token",
                  "invalid_url",
                  "invalid_user",
                  "malformed_json",
                  "media_forbidden",
                  "method_not_allowed",
                  "missing_body",
                  "missing_field",
                  "missing_part",
                  "missing_token",
                  "multipart_upload",
                  "not_found",
                  "not_multipart",
                  "origin_not_allowed",
                  "part_too_small",
                  "path_too_long",
                  "quota_exceeded",
                  "signing_failed",
                  "storage_refused",
                  "storage_unavailable",
                  "truncated_body",
                  "unauthenticated",
                  "unsupported_media_type",
                  "upload_aborted",
                  "upload_completed",
                  "upload_expired",
                  "upload_incomplete",
                  "upload_not_stale",
                  "upload_rejected"
                ]
              },
              "message": {
                "type": "string",
                "description": "What to fix."
              },
              "request_id": {
                "type": "string",
                "description": "The request's id, as in the `X-Request-ID` header and presignd's log line for it."
              }
            }
          }
        }
      },
      "UppyError": {
        "description": "The project's error with the top-level `message` Uppy shows.",
        "allOf": [
          {
            "$ref": "#/components/schemas/Error"
          },
          {
            "type": "object",
            "required": [
              "message"
            ],
            "properties": {
              "message": {
                "type": "string"
              }
            }
          }
        ]
      },
      "Health": {
        "type": "object",
        "required": [
          "status",
          "version"
        ],
        "properties": {
          "status": {
            "type": "string",
            "const": "ok"
          },
          "version": {
            "type": "string"
          }
        }
      },
      "Readiness": {
        "type": "object",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string",
            "const": "ready"
          }
        }
      },
      "PresignRequest": {
        "type": "object",
        "required": [
          "purpose",
          "fileName",
          "contentType",
          "fileSize"
        ],
        "properties": {
          "purpose": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "description": "A configured purpose, e.g. `avatar`, `document` (at most 64 bytes)."
          },
          "fileName": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1024,
            "description": "The file's name (at most 1024 bytes); path parts are dropped."
          },
          "contentType": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "description": "A media type the purpose allows (at most 255 bytes)."
          },
          "fileSize": {
            "type": "integer",
            "format": "int64",
            "minimum": 1,
            "description": "Bytes; at most the purpose's maximum and 5 GiB."
          },
          "method": {
            "type": "string",
            "enum": [
              "POST",
              "PUT"
            ],
            "default": "POST",
            "description": "POST form (default) or PUT URL."
          }
        }
      },
      "PresignedUpload": {
        "type": "object",
        "required": [
          "fileId",
          "key",
          "method",
          "url",
          "fields",
          "headers",
          "expiresAt"
        ],
        "properties": {
          "fileId": {
            "type": "string",
            "format": "uuid"
          },
          "key": {
            "type": "string"
          },
          "method": {
            "type": "string",
            "enum": [
              "POST",
              "PUT"
            ]
          },
          "url": {
            "type": "string"
          },
          "fields": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            },
            "description": "POST: the form fields to send before the file (empty for PUT)."
          },
          "headers": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            },
            "description": "PUT: the headers to send (empty for POST)."
          },
          "expiresAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "ConfirmRequest": {
        "type": "object",
        "properties": {
          "fileId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64
          },
          "key": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1024,
            "description": "The object key (Uppy), when no fileId is sent."
          }
        },
        "anyOf": [
          {
            "required": [
              "fileId"
            ]
          },
          {
            "required": [
              "key"
            ]
          }
        ]
      },
      "FinishedUpload": {
        "type": "object",
        "required": [
          "fileId",
          "status",
          "size",
          "contentType"
        ],
        "properties": {
          "fileId": {
            "type": "string",
            "format": "uuid"
          },
          "status": {
            "type": "string",
            "const": "ready"
          },
          "size": {
            "type": "integer",
            "minimum": 0
          },
          "contentType": {
            "type": "string"
          }
        }
      },
      "MultipartRequest": {
        "type": "object",
        "required": [
          "purpose",
          "fileName",
          "contentType",
          "fileSize"
        ],
        "properties": {
          "purpose": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64
          },
          "fileName": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1024
          },
          "contentType": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255
          },
          "fileSize": {
            "type": "integer",
            "format": "int64",
            "minimum": 1,
            "description": "Bytes; at most the purpose's maximum and 5 TiB."
          }
        }
      },
      "MultipartUpload": {
        "type": "object",
        "required": [
          "fileId",
          "key",
          "uploadId",
          "partSize",
          "partCount",
          "expiresAt"
        ],
        "properties": {
          "fileId": {
            "type": "string",
            "format": "uuid"
          },
          "key": {
            "type": "string"
          },
          "uploadId": {
            "type": "string"
          },
          "partSize": {
            "type": "integer",
            "minimum": 1
          },
          "partCount": {
            "type": "integer",
            "minimum": 1,
            "maximum": 10000
          },
          "expiresAt": {
            "type": "string",
            "format": "date-time",
            "description": "When an unfinished upload is swept."
          }
        }
      },
      "PartNumbersRequest": {
        "type": "object",
        "required": [
          "partNumbers"
        ],
        "properties": {
          "partNumbers": {
            "type": "array",
            "minItems": 1,
            "maxItems": 100,
            "items": {
              "type": "integer",
              "minimum": 1,
              "maximum": 10000
            },
            "description": "1 to 100 distinct part numbers within the upload's plan."
          }
        }
      },
      "SignedParts": {
        "type": "object",
        "required": [
          "parts",
          "expiresAt"
        ],
        "properties": {
          "parts": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "partNumber",
                "url"
              ],
              "properties": {
                "partNumber": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000
                },
                "url": {
                  "type": "string"
                },
                "size": {
                  "type": "integer",
                  "minimum": 1,
                  "description": "The part's exact size, which the URL signs."
                }
              }
            }
          },
          "expiresAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "UploadedParts": {
        "type": "object",
        "required": [
          "parts"
        ],
        "properties": {
          "parts": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "partNumber",
                "etag",
                "size"
              ],
              "properties": {
                "partNumber": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000
                },
                "etag": {
                  "type": "string"
                },
                "size": {
                  "type": "integer",
                  "minimum": 0
                }
              }
            }
          }
        }
      },
      "CompleteRequest": {
        "type": "object",
        "required": [
          "parts"
        ],
        "properties": {
          "parts": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10000,
            "items": {
              "type": "object",
              "required": [
                "partNumber",
                "etag"
              ],
              "properties": {
                "partNumber": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000
                },
                "etag": {
                  "type": "string",
                  "minLength": 1,
                  "maxLength": 256,
                  "pattern": "^[\\x20-\\x7e]+$"
                }
              }
            },
            "description": "Every part in ascending order from 1, with the ETag its upload answered."
          }
        }
      },
      "AbortedUpload": {
        "type": "object",
        "required": [
          "fileId",
          "status"
        ],
        "properties": {
          "fileId": {
            "type": "string",
            "format": "uuid"
          },
          "status": {
            "type": "string",
            "const": "aborted"
          }
        }
      },
      "UppyParams": {
        "type": "object",
        "required": [
          "method",
          "url",
          "fields",
          "headers",
          "expires",
          "fileId",
          "key"
        ],
        "properties": {
          "method": {
            "type": "string",
            "enum": [
              "POST",
              "PUT"
            ]
          },
          "url": {
            "type": "string"
          },
          "fields": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "headers": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "expires": {
            "type": "integer",
            "description": "Seconds the signature lives."
          },
          "fileId": {
            "type": "string",
            "format": "uuid"
          },
          "key": {
            "type": "string"
          }
        }
      },
      "UppyCreateRequest": {
        "type": "object",
        "required": [
          "filename"
        ],
        "properties": {
          "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1024
          },
          "type": {
            "type": "string",
            "description": "The browser's `File.type`; empty is application/octet-stream."
          },
          "metadata": {
            "type": "object",
            "properties": {
              "purpose": {
                "type": "string"
              },
              "size": {
                "type": "integer",
                "description": "The file's size; plans the parts when given."
              }
            }
          }
        }
      },
      "UppyMultipartUpload": {
        "type": "object",
        "required": [
          "key",
          "uploadId",
          "bucket",
          "fileId"
        ],
        "properties": {
          "key": {
            "type": "string"
          },
          "uploadId": {
            "type": "string"
          },
          "bucket": {
            "type": "string"
          },
          "fileId": {
            "type": "string",
            "format": "uuid"
          }
        }
      },
      "UppyPresignedUrls": {
        "type": "object",
        "required": [
          "presignedUrls"
        ],
        "properties": {
          "presignedUrls": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            },
            "description": "Part number → URL."
          }
        }
      },
      "UppySignedPart": {
        "type": "object",
        "required": [
          "url",
          "expires"
        ],
        "properties": {
          "url": {
            "type": "string"
          },
          "expires": {
            "type": "integer"
          }
        }
      },
      "UppyParts": {
        "type": "array",
        "items": {
          "type": "object",
          "required": [
            "PartNumber",
            "ETag",
            "Size"
          ],
          "properties": {
            "PartNumber": {
              "type": "integer",
              "minimum": 1,
              "maximum": 10000
            },
            "ETag": {
              "type": "string"
            },
            "Size": {
              "type": "integer",
              "minimum": 0
            }
          }
        }
      },
      "UppyCompleteRequest": {
        "type": "object",
        "required": [
          "parts"
        ],
        "properties": {
          "parts": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10000,
            "items": {
              "type": "object",
              "required": [
                "PartNumber",
                "ETag"
              ],
              "properties": {
                "PartNumber": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000
                },
                "ETag": {
                  "type": "string",
                  "minLength": 1,
                  "maxLength": 256,
                  "pattern": "^[\\x20-\\x7e]+$"
                }
              }
            }
          }
        }
      },
      "UppyCompletedUpload": {
        "type": "object",
        "required": [
          "location",
          "key",
          "bucket",
          "fileId",
          "status"
        ],
        "properties": {
          "location": {
            "type": "string"
          },
          "key": {
            "type": "string"
          },
          "bucket": {
            "type": "string"
          },
          "fileId": {
            "type": "string",
            "format": "uuid"
          },
          "status": {
            "type": "string",
            "const": "ready"
          }
        }
      },
      "Usage": {
        "type": "object",
        "required": [
          "purposes"
        ],
        "properties": {
          "purposes": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "purpose",
                "files",
                "bytes",
                "quota"
              ],
              "properties": {
                "purpose": {
                  "type": "string"
                },
                "files": {
                  "type": "integer",
                  "minimum": 0
                },
                "bytes": {
                  "type": "integer",
                  "minimum": 0
                },
                "quota": {
                  "type": "object",
                  "required": [
                    "files",
                    "bytes"
                  ],
                  "properties": {
                    "files": {
                      "type": [
                        "integer",
                        "null"
                      ]
                    },
                    "bytes": {
                      "type": [
                        "integer",
                        "null"
                      ]
                    }
                  }
                }
              }
            }
          }
        }
      },
      "DocumentPage": {
        "type": "object",
        "required": [
          "documents",
          "nextCursor"
        ],
        "properties": {
          "documents": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Document"
            }
          },
          "nextCursor": {
            "type": [
              "string",
              "null"
            ],
            "description": "Pass as `cursor` for the next page; null on the last."
          }
        }
      },
      "Document": {
        "type": "object",
        "required": [
          "id",
          "fileName",
          "purpose",
          "size",
          "contentType",
          "owned",
          "createdAt",
          "key"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid"
          },
          "key": {
            "type": "string",
            "description": "The object key: the media route serves it at /media/{key} to holders of the CDN cookies."
          },
          "fileName": {
            "type": "string"
          },
          "purpose": {
            "type": "string"
          },
          "size": {
            "type": "integer",
            "minimum": 0
          },
          "contentType": {
            "type": "string"
          },
          "owned": {
            "type": "boolean",
            "description": "False for a document shared with you."
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "Download": {
        "type": "object",
        "required": [
          "url",
          "expiresAt",
          "fileName"
        ],
        "properties": {
          "url": {
            "type": "string"
          },
          "expiresAt": {
            "type": "string",
            "format": "date-time"
          },
          "fileName": {
            "type": "string"
          }
        }
      },
      "ShareRequest": {
        "type": "object",
        "required": [
          "userId"
        ],
        "properties": {
          "userId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 256,
            "description": "A user id as tokens carry it (no control characters)."
          }
        }
      },
      "Share": {
        "type": "object",
        "required": [
          "documentId",
          "userId"
        ],
        "properties": {
          "documentId": {
            "type": "string",
            "format": "uuid"
          },
          "userId": {
            "type": "string"
          }
        }
      },
      "CDNCookies": {
        "type": "object",
        "required": [
          "expiresAt"
        ],
        "properties": {
          "expiresAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "LoggedOut": {
        "type": "object",
        "required": [
          "ok"
        ],
        "properties": {
          "ok": {
            "type": "boolean",
            "const": true
          }
        }
      }
    }
  }
}
"""#
}

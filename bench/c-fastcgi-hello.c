/* The FastCGI ceiling bench/healthz.sh compares presignd against: the classic single-threaded
 * libfcgi accept loop answering GET /healthz with the same JSON, nothing else. */
#include <fcgiapp.h>
#include <string.h>

int main(void) {
    static const char response[] =
        "Status: 200 OK\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        "Content-Length: 33\r\n"
        "\r\n"
        "{\"status\":\"ok\",\"version\":\"0.1.0\"}";
    FCGX_Request request;
    if (FCGX_Init() != 0) return 1;
    if (FCGX_InitRequest(&request, 0, 0) != 0) return 1;
    while (FCGX_Accept_r(&request) >= 0) {
        FCGX_PutStr(response, (int)strlen(response), request.out);
        FCGX_Finish_r(&request);
    }
    return 0;
}

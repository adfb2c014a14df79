// Exposes the installed libwebsockets headers (Debian libwebsockets-dev 4.1) to Swift.
#include <libwebsockets.h>

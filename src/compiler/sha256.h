#ifndef ER_SHA256_H
#define ER_SHA256_H
#include <stddef.h>
#include <stdint.h>
/* Lower-case hex SHA-256 of data[0..len) into out (64 chars + NUL). */
void er_sha256_hex(const uint8_t *data, size_t len, char out[65]);
#endif

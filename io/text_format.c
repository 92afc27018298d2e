/* io/text_format.c: protobuf text format → protobuf-c messages, generic over descriptors.
 * Owns: the text-format grammar (formats.md §7.2), value conversion per field type, building
 * messages with the same allocation layout as protobuf-c's unpack (every field malloc'd,
 * repeated arrays one malloc each) so protobuf_c_message_free_unpacked frees them.
 * Does not own: what the messages mean (graphdef.c and later loaders).
 * Thread-safety: reentrant. */
#include "io/text_format.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/proto/meta_graph.pb-c.h"
#include "io/proto/saver.pb-c.h"
#include "io/proto/wrappers.pb-c.h"
#include "io/proto_depth.h"

/* Nesting limit, so hostile input cannot exhaust the stack: the binary loaders' limit. */
#define MAX_DEPTH FRT_PROTO_MAX_DEPTH

typedef struct parser {
    const char *s;
    size_t len, pos;
    int line;
    size_t line_start;
    const char *name;
    int depth;
} parser;

/* A growable byte buffer for string literals. */
typedef struct bytes_buf {
    char *p;
    size_t len, cap;
} bytes_buf;

static frt_status *err_at(const parser *p, size_t pos, frt_code code, const char *fmt, ...)
    FRT_PRINTF(4, 5);

static frt_status *err_at(const parser *p, size_t pos, frt_code code, const char *fmt, ...) {
    /* Recompute line/column of pos from the last known line start (pos may be earlier). */
    int line = p->line;
    size_t ls = p->line_start;
    if (pos < ls) {
        line = 1;
        ls = 0;
        for (size_t i = 0; i < pos; i++)
            if (p->s[i] == '\n') line++, ls = i + 1;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return frt_status_new(code, "'%s':%d:%zu: %s", p->name, line, pos - ls + 1, msg);
}

static int peek(const parser *p) { return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1; }

static void advance(parser *p) {
    if (p->pos < p->len) {
        if (p->s[p->pos] == '\n') {
            p->line++;
            p->line_start = p->pos + 1;
        }
        p->pos++;
    }
}

static void skip_ws(parser *p) {
    for (;;) {
        int c = peek(p);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
            advance(p);
        } else if (c == '#') {
            while (peek(p) != -1 && peek(p) != '\n') advance(p);
        } else {
            return;
        }
    }
}

/* Consumes c (after whitespace) if it is next. */
static bool accept(parser *p, int c) {
    skip_ws(p);
    if (peek(p) != c) return false;
    advance(p);
    return true;
}

static bool is_ident_start(int c) { return isalpha(c) || c == '_'; }
static bool is_ident_char(int c) { return isalnum(c) || c == '_'; }

/* Token readers stop at the buffer's bound: a token that does not fit returns n (callers
 * report it as too long, naming the line) and is not consumed further, so no token is ever
 * read or written past buf, however long the input's token is. */

/* Reads an identifier into buf; returns its length, 0 if none, n if it does not fit. */
static size_t read_ident(parser *p, char *buf, size_t n) {
    size_t k = 0;
    if (!is_ident_start(peek(p))) return 0;
    while (is_ident_char(peek(p))) {
        if (k + 1 >= n) return buf[n - 1] = 0, n;
        buf[k++] = (char)peek(p);
        advance(p);
    }
    buf[k] = 0;
    return k;
}

/* A number token: digits, letters (hex digits, x, exponent, f suffix), '.', and a sign right
 * after an exponent 'e' of a decimal number. Returns its length, or n if it does not fit. */
static size_t read_number(parser *p, char *buf, size_t n) {
    size_t k = 0;
    bool hex = false;
    while (p->pos < p->len) {
        int c = peek(p);
        bool ok = isalnum(c) || c == '.' || c == '_';
        if ((c == '+' || c == '-') && k > 0 && !hex && (buf[k - 1] == 'e' || buf[k - 1] == 'E'))
            ok = true;
        if (!ok) break;
        if (k + 1 >= n) return buf[n - 1] = 0, n;
        buf[k++] = (char)c;
        if (k == 2 && buf[0] == '0' && (c == 'x' || c == 'X')) hex = true;
        advance(p);
    }
    buf[k] = 0;
    return k;
}

/* ---- strings ----------------------------------------------------------------------------- */

static bool buf_put(bytes_buf *b, const void *d, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1) cap *= 2;
        char *q = frt_realloc(b->p, cap);
        if (!q) return false;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    b->p[b->len] = 0;
    return true;
}

static bool put_utf8(bytes_buf *b, uint32_t cp) {
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6)), u[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F)), n = 4;
    }
    return buf_put(b, u, n);
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads exactly n hex digits of a \u / \U escape. */
static frt_status *read_hex_digits(parser *p, int n, size_t esc_pos, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        int h = hexval(peek(p));
        if (h < 0)
            return err_at(p, esc_pos, FRT_INVALID_ARGUMENT,
                          "unicode escape needs %d hex digits", n);
        v = v * 16 + (uint32_t)h;
        advance(p);
    }
    *out = v;
    return NULL;
}

/* One escape sequence after the backslash. */
static frt_status *read_escape(parser *p, size_t esc_pos, bytes_buf *b) {
    int c = peek(p);
    if (c == -1) return err_at(p, esc_pos, FRT_INVALID_ARGUMENT, "unterminated string");
    static const char simple_in[] = "abfnrtv\\'\"?";
    static const char simple_out[] = "\a\b\f\n\r\t\v\\'\"?";
    const char *q = strchr(simple_in, c);
    if (q && c) {
        advance(p);
        char o = simple_out[q - simple_in];
        return buf_put(b, &o, 1) ? NULL : frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (c >= '0' && c <= '7') {
        unsigned v = 0;
        for (int i = 0; i < 3 && peek(p) >= '0' && peek(p) <= '7'; i++) {
            v = v * 8 + (unsigned)(peek(p) - '0');
            advance(p);
        }
        if (v > 255)
            return err_at(p, esc_pos, FRT_INVALID_ARGUMENT, "octal escape \\%o is above \\377",
                          v);
        unsigned char o = (unsigned char)v;
        return buf_put(b, &o, 1) ? NULL : frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (c == 'x' || c == 'X') {
        advance(p);
        int h = hexval(peek(p));
        if (h < 0)
            return err_at(p, esc_pos, FRT_INVALID_ARGUMENT, "\\x escape needs a hex digit");
        unsigned v = (unsigned)h;
        advance(p);
        if ((h = hexval(peek(p))) >= 0) {
            v = v * 16 + (unsigned)h;
            advance(p);
        }
        unsigned char o = (unsigned char)v;
        return buf_put(b, &o, 1) ? NULL : frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (c == 'u' || c == 'U') {
        advance(p);
        uint32_t cp;
        FRT_TRY(read_hex_digits(p, c == 'u' ? 4 : 8, esc_pos, &cp));
        if (c == 'u' && cp >= 0xD800 && cp <= 0xDBFF && peek(p) == '\\' &&
            p->pos + 1 < p->len && p->s[p->pos + 1] == 'u') {
            /* a UTF-16 surrogate pair written as two \u escapes */
            size_t save_pos = p->pos;
            advance(p);
            advance(p);
            uint32_t lo;
            FRT_TRY(read_hex_digits(p, 4, save_pos, &lo));
            if (lo < 0xDC00 || lo > 0xDFFF)
                return err_at(p, esc_pos, FRT_INVALID_ARGUMENT, "unpaired UTF-16 surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return err_at(p, esc_pos, FRT_INVALID_ARGUMENT,
                          "invalid unicode code point U+%04X in escape", (unsigned)cp);
        return put_utf8(b, cp) ? NULL : frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    }
    return err_at(p, esc_pos, FRT_INVALID_ARGUMENT, "invalid escape '\\%c' in string", c);
}

/* One or more adjacent quoted literals, concatenated into b. */
static frt_status *read_strings(parser *p, bytes_buf *b) {
    skip_ws(p);
    if (peek(p) != '"' && peek(p) != '\'')
        return err_at(p, p->pos, FRT_INVALID_ARGUMENT, "expected a quoted string");
    if (!buf_put(b, "", 0)) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    while (peek(p) == '"' || peek(p) == '\'') {
        size_t start = p->pos;
        int q = peek(p);
        advance(p);
        for (;;) {
            int c = peek(p);
            if (c == -1 || c == '\n')
                return err_at(p, start, FRT_INVALID_ARGUMENT, "unterminated string");
            if (c == q) {
                advance(p);
                break;
            }
            if (c == '\\') {
                size_t esc = p->pos;
                advance(p);
                FRT_TRY(read_escape(p, esc, b));
                continue;
            }
            char ch = (char)c;
            if (!buf_put(b, &ch, 1)) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
            advance(p);
        }
        skip_ws(p);
    }
    return NULL;
}

/* ---- numbers ----------------------------------------------------------------------------- */

/* Parses an integer token (decimal, 0x hex, leading-0 octal) into a magnitude. */
static bool parse_uint(const char *t, uint64_t *out) {
    int base = 10;
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) base = 16, t += 2;
    else if (t[0] == '0' && t[1]) base = 8, t += 1;
    if (!*t) return false;
    uint64_t v = 0;
    for (; *t; t++) {
        int d = hexval((unsigned char)*t);
        if (d < 0 || d >= base) return false;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return false;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return true;
}

static bool ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    return *a == *b;
}

static bool parse_double(const char *t, bool is_ident, double *out) {
    if (is_ident) {
        if (ieq(t, "inf") || ieq(t, "infinity")) return *out = INFINITY, true;
        if (ieq(t, "nan")) return *out = NAN, true;
        return false;
    }
    char tmp[128];
    size_t n = strlen(t);
    if (n == 0 || n >= sizeof tmp) return false;
    memcpy(tmp, t, n + 1);
    bool hex = tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X');
    if (hex) {
        uint64_t v; /* an integer literal in hex is a valid float value */
        if (!parse_uint(tmp, &v)) return false;
        *out = (double)v;
        return true;
    }
    if (tmp[n - 1] == 'f' || tmp[n - 1] == 'F') tmp[--n] = 0;
    if (n == 0) return false;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (*end) return false;
    *out = v;
    return true;
}

/* ---- messages ---------------------------------------------------------------------------- */

#define MEMBER(T, msg, off) (*(T *)((char *)(msg) + (off)))

static size_t elem_size(const ProtobufCFieldDescriptor *f) {
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_ENUM: return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: return 8;
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    }
    return 0;
}

/* Appends one zeroed slot to a repeated field and returns it. Capacity is the next power of
 * two of the count, so the array stays a single malloc block as free_unpacked expects. */
static void *append_slot(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
    size_t *count = &MEMBER(size_t, m, f->quantifier_offset);
    void **arr = &MEMBER(void *, m, f->offset);
    size_t es = elem_size(f), n = *count;
    if (n == 0 || (n & (n - 1)) == 0) {
        size_t cap = n ? n * 2 : 1;
        void *q = frt_realloc(*arr, cap * es);
        if (!q) return NULL;
        *arr = q;
    }
    void *slot = (char *)*arr + n * es;
    memset(slot, 0, es);
    (*count)++;
    return slot;
}

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d) {
    ProtobufCMessage *m = frt_malloc(d->sizeof_message);
    if (m) protobuf_c_message_init(d, m);
    return m;
}

static frt_status *parse_body(parser *p, ProtobufCMessage *m, int close);

/* Where a singular value of field f goes; marks presence (has_ flag or oneof case). */
static frt_status *singular_slot(parser *p, size_t name_pos, ProtobufCMessage *m,
                                 const ProtobufCFieldDescriptor *f, bool *seen, void **slot) {
    const ProtobufCMessageDescriptor *d = m->descriptor;
    size_t idx = (size_t)(f - d->fields);
    if (seen[idx])
        return err_at(p, name_pos, FRT_INVALID_ARGUMENT,
                      "non-repeated field '%s' of %s is given more than once", f->name,
                      d->name);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *cs = &MEMBER(uint32_t, m, f->quantifier_offset);
        if (*cs != 0 && *cs != f->id) {
            const ProtobufCFieldDescriptor *other =
                protobuf_c_message_descriptor_get_field(d, *cs);
            return err_at(p, name_pos, FRT_INVALID_ARGUMENT,
                          "field '%s' of %s is in the same oneof as '%s', which is already set",
                          f->name, d->name, other ? other->name : "?");
        }
        /* The union member is still zeroed (a NULL pointer for strings and messages, which
         * free_unpacked skips) until the value is parsed into it. */
        *cs = f->id;
    } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
               f->type != PROTOBUF_C_TYPE_STRING && f->quantifier_offset) {
        MEMBER(protobuf_c_boolean, m, f->quantifier_offset) = 1;
    }
    seen[idx] = true;
    *slot = (char *)m + f->offset;
    return NULL;
}

/* Parses one scalar value of field f into slot (already zeroed or default). */
static __attribute__((noinline)) frt_status *parse_scalar(parser *p,
                                                          const ProtobufCFieldDescriptor *f,
                                                          void *slot) {
    skip_ws(p);
    size_t start = p->pos;
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES) {
        bytes_buf b = {0};
        frt_status *st = read_strings(p, &b);
        if (st) {
            free(b.p);
            return st;
        }
        if (f->type == PROTOBUF_C_TYPE_BYTES) {
            ProtobufCBinaryData *bd = slot;
            bd->len = b.len;
            bd->data = (uint8_t *)b.p;
            if (b.len == 0) {
                free(b.p);
                bd->data = NULL;
            }
        } else {
            if (strlen(b.p) != b.len) {
                free(b.p);
                return err_at(p, start, FRT_INVALID_ARGUMENT,
                              "string field '%s' cannot hold a NUL byte", f->name);
            }
            *(char **)slot = b.p;
        }
        return NULL;
    }
    bool neg = false;
    if (peek(p) == '-') {
        neg = true;
        advance(p);
        skip_ws(p);
    }
    char tok[128];
    bool ident = is_ident_start(peek(p));
    size_t tn = ident ? read_ident(p, tok, sizeof tok)
                      : (isdigit(peek(p)) || peek(p) == '.') ? read_number(p, tok, sizeof tok)
                                                             : 0;
    if (tn == 0)
        return err_at(p, start, FRT_INVALID_ARGUMENT, "expected a value for field '%s'",
                      f->name);
    if (tn >= sizeof tok)
        return err_at(p, start, FRT_INVALID_ARGUMENT,
                      "value of field '%s' is longer than %zu characters", f->name,
                      sizeof tok - 1);

    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v;
        if (!parse_double(tok, ident, &v))
            return err_at(p, start, FRT_INVALID_ARGUMENT,
                          "invalid floating-point value '%s' for field '%s'", tok, f->name);
        if (neg) v = -v;
        if (f->type == PROTOBUF_C_TYPE_FLOAT) *(float *)slot = (float)v;
        else *(double *)slot = v;
        return NULL;
    }
    case PROTOBUF_C_TYPE_BOOL: {
        int v = -1;
        if (!neg) {
            if (!strcmp(tok, "true") || !strcmp(tok, "True") || !strcmp(tok, "t") ||
                !strcmp(tok, "1"))
                v = 1;
            else if (!strcmp(tok, "false") || !strcmp(tok, "False") || !strcmp(tok, "f") ||
                     !strcmp(tok, "0"))
                v = 0;
        }
        if (v < 0)
            return err_at(p, start, FRT_INVALID_ARGUMENT,
                          "invalid bool value '%s%s' for field '%s'", neg ? "-" : "", tok,
                          f->name);
        *(protobuf_c_boolean *)slot = v;
        return NULL;
    }
    case PROTOBUF_C_TYPE_ENUM:
        if (ident) {
            if (neg)
                return err_at(p, start, FRT_INVALID_ARGUMENT, "invalid enum value '-%s'", tok);
            const ProtobufCEnumDescriptor *ed = f->descriptor;
            const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, tok);
            if (!ev)
                return err_at(p, start, FRT_INVALID_ARGUMENT,
                              "unknown value '%s' for enum field '%s' (%s)", tok, f->name,
                              ed->name);
            *(int32_t *)slot = ev->value;
            return NULL;
        }
        break; /* a number: below, as int32 (proto3 enums are open) */
    default: break;
    }

    uint64_t mag;
    if (ident || !parse_uint(tok, &mag))
        return err_at(p, start, FRT_INVALID_ARGUMENT, "invalid integer value '%s%s' for field '%s'",
                      neg ? "-" : "", tok, f->name);
    bool is_unsigned = f->type == PROTOBUF_C_TYPE_UINT32 || f->type == PROTOBUF_C_TYPE_FIXED32 ||
                       f->type == PROTOBUF_C_TYPE_UINT64 || f->type == PROTOBUF_C_TYPE_FIXED64;
    bool is64 = elem_size(f) == 8;
    uint64_t lim = is_unsigned ? (is64 ? UINT64_MAX : UINT32_MAX)
                               : neg ? (is64 ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT32_MAX + 1)
                                     : (is64 ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX);
    if ((neg && is_unsigned && mag) || mag > lim)
        return err_at(p, start, FRT_INVALID_ARGUMENT,
                      "integer value %s%s is out of range for field '%s'", neg ? "-" : "", tok,
                      f->name);
    if (is_unsigned) {
        if (is64) *(uint64_t *)slot = mag;
        else *(uint32_t *)slot = (uint32_t)mag;
    } else {
        /* two's complement negation done in unsigned arithmetic, then converted */
        uint64_t u = neg ? (uint64_t)0 - mag : mag;
        int64_t v = u > (uint64_t)INT64_MAX ? -(int64_t)(~u) - 1 : (int64_t)u;
        if (is64) *(int64_t *)slot = v;
        else *(int32_t *)slot = (int32_t)v;
    }
    return NULL;
}

/* A submessage value: '{' body '}' or '<' body '>'. *slot receives the new message before it
 * is filled, so an error leaves a consistent tree for free_unpacked. */
static frt_status *parse_submessage(parser *p, const ProtobufCFieldDescriptor *f,
                                    ProtobufCMessage **slot) {
    skip_ws(p);
    int c = peek(p);
    if (c != '{' && c != '<')
        return err_at(p, p->pos, FRT_INVALID_ARGUMENT, "expected '{' to open field '%s'",
                      f->name);
    advance(p);
    if (p->depth >= MAX_DEPTH)
        return err_at(p, p->pos, FRT_INVALID_ARGUMENT, "messages nested more than %d deep",
                      MAX_DEPTH);
    const ProtobufCMessageDescriptor *sd = f->descriptor;
    if (!*slot) {
        *slot = new_message(sd);
        if (!*slot) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    }
    p->depth++;
    frt_status *st = parse_body(p, *slot, c == '{' ? '}' : '>');
    p->depth--;
    return st;
}

/* One value of field f (a scalar or a submessage), singular or appended to a repeated. */
static frt_status *parse_value(parser *p, size_t name_pos, ProtobufCMessage *m,
                               const ProtobufCFieldDescriptor *f, bool *seen) {
    void *slot = NULL;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        slot = append_slot(m, f);
        if (!slot) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        FRT_TRY(singular_slot(p, name_pos, m, f, seen, &slot));
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) return parse_submessage(p, f, slot);
    if (f->type == PROTOBUF_C_TYPE_STRING && f->label == PROTOBUF_C_LABEL_REPEATED)
        *(char **)slot = NULL;
    return parse_scalar(p, f, slot);
}

static frt_status *parse_body(parser *p, ProtobufCMessage *m, int close);

/* Message types an expanded Any may hold in the files we read (Python's text format prints
 * the assets collection's AssetFileDefs as `[type.googleapis.com/tensorflow.AssetFileDef]
 * { ... }`). */
static const ProtobufCMessageDescriptor *any_payload_type(const char *name) {
    static const ProtobufCMessageDescriptor *const known[] = {
        &tensorflow__asset_file_def__descriptor, &tensorflow__tensor_info__descriptor,
        &tensorflow__signature_def__descriptor, &tensorflow__saver_def__descriptor,
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(known[i]->name, name) == 0) return known[i];
    return NULL;
}

/* `[type.googleapis.com/pkg.Type] { fields }` inside a google.protobuf.Any: parses the
 * payload as that type and stores it packed, as the binary form would hold it. */
static frt_status *parse_expanded_any(parser *p, ProtobufCMessage *m) {
    Google__Protobuf__Any *any = (Google__Protobuf__Any *)m;
    size_t start = p->pos;
    advance(p); /* '[' */
    char url[512];
    size_t n = 0;
    while (peek(p) != -1 && peek(p) != ']' && n + 1 < sizeof url) {
        url[n++] = (char)peek(p);
        advance(p);
    }
    url[n] = 0;
    if (!accept(p, ']'))
        return err_at(p, start, FRT_INVALID_ARGUMENT, "unterminated '[' in Any type URL");
    const char *slash = strrchr(url, '/');
    const ProtobufCMessageDescriptor *d = any_payload_type(slash ? slash + 1 : url);
    if (!d)
        return err_at(p, start, FRT_UNIMPLEMENTED,
                      "expanded Any of type '%s' is not supported", url);
    accept(p, ':');
    skip_ws(p);
    int open = peek(p);
    if (open != '{' && open != '<')
        return err_at(p, p->pos, FRT_INVALID_ARGUMENT, "expected '{' after Any type '%s'", url);
    advance(p);
    if (p->depth >= MAX_DEPTH)
        return err_at(p, p->pos, FRT_INVALID_ARGUMENT, "messages nested more than %d deep",
                      MAX_DEPTH);
    ProtobufCMessage *payload = new_message(d);
    if (!payload) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    p->depth++;
    frt_status *st = parse_body(p, payload, open == '{' ? '}' : '>');
    p->depth--;
    if (!st) {
        size_t len = protobuf_c_message_get_packed_size(payload);
        uint8_t *bytes = frt_malloc(len ? len : 1);
        char *u = frt_strdup(url);
        if (!bytes || !u) {
            free(bytes);
            free(u);
            st = frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
        } else {
            protobuf_c_message_pack(payload, bytes);
            if (any->type_url && any->type_url != protobuf_c_empty_string) free(any->type_url);
            free(any->value.data);
            any->type_url = u;
            any->value.data = bytes;
            any->value.len = len;
        }
    }
    protobuf_c_message_free_unpacked(payload, NULL);
    return st;
}

/* The field named next in a message of type d, or NULL with *st set. Not inlined, like
 * parse_scalar: parse_body and parse_value recurse once per nested message, and keeping the
 * token buffers out of their frames keeps a 100-deep message within a small thread stack. */
static __attribute__((noinline)) const ProtobufCFieldDescriptor *
read_field_name(parser *p, const ProtobufCMessageDescriptor *d, size_t name_pos,
                frt_status **st) {
    int c = peek(p);
    char name[256];
    size_t nl = read_ident(p, name, sizeof name);
    if (nl == 0) {
        *st = err_at(p, name_pos, FRT_INVALID_ARGUMENT,
                     isprint(c) ? "expected a field name in %s, found '%c'"
                                : "expected a field name in %s, found byte 0x%02x",
                     d->name, c);
        return NULL;
    }
    if (nl >= sizeof name) {
        *st = err_at(p, name_pos, FRT_INVALID_ARGUMENT,
                     "field name in %s is longer than %zu characters", d->name, sizeof name - 1);
        return NULL;
    }
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);
    if (!f)
        *st = err_at(p, name_pos, FRT_INVALID_ARGUMENT, "unknown field '%s' in %s", name,
                     d->name);
    return f;
}

/* Fields until `close` ('}' or '>'), or end of input when close is 0. */
static frt_status *parse_body(parser *p, ProtobufCMessage *m, int close) {
    const ProtobufCMessageDescriptor *d = m->descriptor;
    bool *seen = frt_calloc(d->n_fields ? d->n_fields : 1, sizeof *seen);
    if (!seen) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    frt_status *st = NULL;
    for (;;) {
        skip_ws(p);
        size_t name_pos = p->pos;
        int c = peek(p);
        if (c == -1) {
            if (close)
                st = err_at(p, name_pos, FRT_INVALID_ARGUMENT,
                            "unexpected end of input: missing '%c' to close %s", close,
                            d->name);
            break;
        }
        if (close && c == close) {
            advance(p);
            break;
        }
        if (c == '[') {
            if (d == &google__protobuf__any__descriptor) {
                if ((st = parse_expanded_any(p, m))) break;
                if (!accept(p, ',')) accept(p, ';');
                continue;
            }
            st = err_at(p, name_pos, FRT_UNIMPLEMENTED,
                        "extension syntax '[...]' is not supported in %s", d->name);
            break;
        }
        const ProtobufCFieldDescriptor *f = read_field_name(p, d, name_pos, &st);
        if (!f) break;
        bool colon = accept(p, ':');
        bool is_msg = f->type == PROTOBUF_C_TYPE_MESSAGE;
        if (!colon && !is_msg) {
            st = err_at(p, p->pos, FRT_INVALID_ARGUMENT, "expected ':' after field '%s'",
                        f->name);
            break;
        }
        skip_ws(p);
        if (peek(p) == '[') {
            size_t lb = p->pos;
            advance(p);
            if (f->label != PROTOBUF_C_LABEL_REPEATED) {
                st = err_at(p, lb, FRT_INVALID_ARGUMENT,
                            "list value given for non-repeated field '%s'", f->name);
                break;
            }
            if (!accept(p, ']')) {
                for (;;) {
                    if ((st = parse_value(p, name_pos, m, f, seen))) break;
                    if (accept(p, ']')) break;
                    if (!accept(p, ',')) {
                        st = err_at(p, p->pos, FRT_INVALID_ARGUMENT,
                                    "expected ',' or ']' in the list for field '%s'", f->name);
                        break;
                    }
                }
                if (st) break;
            }
        } else if ((st = parse_value(p, name_pos, m, f, seen))) {
            break;
        }
        if (!accept(p, ',')) accept(p, ';');
    }
    free(seen);
    return st;
}

frt_status *frt_text_format_parse(const char *text, size_t len,
                                  const ProtobufCMessageDescriptor *desc,
                                  const char *name_for_errors, ProtobufCMessage **out) {
    *out = NULL;
    parser p = {.s = text, .len = len, .line = 1, .name = name_for_errors ? name_for_errors
                                                                          : "<text>"};
    ProtobufCMessage *m = new_message(desc);
    if (!m) return frt_status_oom("parsing '%s'", p.name);
    frt_status *st = parse_body(&p, m, 0);
    if (st) {
        protobuf_c_message_free_unpacked(m, NULL);
        /* syntax errors name the file (err_at); out of memory deep inside must too */
        if (frt_status_code(st) == FRT_RESOURCE_EXHAUSTED)
            st = frt_status_annotate(st, " (parsing '%s')", p.name);
        return st;
    }
    *out = m;
    return NULL;
}

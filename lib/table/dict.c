/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * A string dictionary: codes in order of first insertion, open-addressing hash lookup.
 */
#include "internal/table.h"

pkh_status pkh__dict_init(pkh__dict *d, const pkh_allocator *a)
{
    memset(d, 0, sizeof *d);
    d->alloc = pkh__allocator(a);
    d->offsets_cap = 64;
    d->offsets = pkh__alloc(d->alloc, d->offsets_cap * sizeof *d->offsets);
    d->data_cap = 256;
    d->data = pkh__alloc(d->alloc, d->data_cap);
    d->hashes_cap = 64;
    d->hashes = pkh__alloc(d->alloc, d->hashes_cap * sizeof *d->hashes);
    d->slot_mask = 127;
    d->slots = pkh__calloc(d->alloc, d->slot_mask + 1, sizeof *d->slots);
    if (d->offsets == NULL || d->data == NULL || d->slots == NULL || d->hashes == NULL) {
        pkh__dict_free(d);
        return PKH_ENOMEM;
    }
    d->offsets[0] = 0;
    return PKH_OK;
}

void pkh__dict_free(pkh__dict *d)
{
    const pkh_allocator *a = d->alloc;
    pkh__free(a, d->offsets, d->offsets_cap * sizeof *d->offsets);
    pkh__free(a, d->data, d->data_cap);
    pkh__free(a, d->slots, (d->slot_mask + 1) * sizeof *d->slots);
    pkh__free(a, d->hashes, d->hashes_cap * sizeof *d->hashes);
    memset(d, 0, sizeof *d);
    d->alloc = a;
}

static bool entry_equals(const pkh__dict *d, int32_t code, const char *s, size_t len)
{
    size_t n;
    const char *e = pkh__dict_get(d, code, &n);
    return n == len && pkh__bytes_equal(e, s, len);
}

int32_t pkh__dict_find(const pkh__dict *d, const char *s, size_t len)
{
    if (d->slots == NULL) {
        return -1;
    }
    const uint64_t h = pkh__hash_bytes(s, len);
    for (size_t i = h & d->slot_mask;; i = (i + 1) & d->slot_mask) {
        const int32_t v = d->slots[i];
        if (v == 0) {
            return -1;
        }
        if (d->hashes[v - 1] == h && entry_equals(d, v - 1, s, len)) {
            return v - 1;
        }
    }
}

static pkh_status grow_slots(pkh__dict *d)
{
    const size_t n = (d->slot_mask + 1) * 2;
    int32_t *slots = pkh__calloc(d->alloc, n, sizeof *slots);
    if (slots == NULL) {
        return PKH_ENOMEM;
    }
    for (int64_t c = 0; c < d->size; c++) {
        size_t i = d->hashes[c] & (n - 1);
        while (slots[i] != 0) {
            i = (i + 1) & (n - 1);
        }
        slots[i] = (int32_t)(c + 1);
    }
    pkh__free(d->alloc, d->slots, (d->slot_mask + 1) * sizeof *d->slots);
    d->slots = slots;
    d->slot_mask = n - 1;
    return PKH_OK;
}

static pkh_status reserve(pkh__dict *d, size_t len)
{
    if ((size_t)d->size + 2 > d->offsets_cap) {
        const size_t n = d->offsets_cap * 2;
        int64_t *o = pkh__realloc(d->alloc, d->offsets, d->offsets_cap * sizeof *o, n * sizeof *o);
        if (o == NULL) {
            return PKH_ENOMEM;
        }
        d->offsets = o;
        d->offsets_cap = n;
    }
    if ((size_t)d->size + 1 > d->hashes_cap) {
        const size_t n = d->hashes_cap * 2;
        uint64_t *h = pkh__realloc(d->alloc, d->hashes, d->hashes_cap * sizeof *h, n * sizeof *h);
        if (h == NULL) {
            return PKH_ENOMEM;
        }
        d->hashes = h;
        d->hashes_cap = n;
    }
    if (d->data_len + len > d->data_cap) {
        size_t n = d->data_cap * 2;
        while (n < d->data_len + len) {
            n *= 2;
        }
        char *p = pkh__realloc(d->alloc, d->data, d->data_cap, n);
        if (p == NULL) {
            return PKH_ENOMEM;
        }
        d->data = p;
        d->data_cap = n;
    }
    if ((size_t)(d->size + 1) * 2 > d->slot_mask + 1) {
        return grow_slots(d);
    }
    return PKH_OK;
}

pkh_status pkh__dict_intern(pkh__dict *d, const char *s, size_t len, int32_t *code)
{
    const uint64_t h = pkh__hash_bytes(s, len);
    size_t i = h & d->slot_mask;
    for (;; i = (i + 1) & d->slot_mask) {
        const int32_t v = d->slots[i];
        if (v == 0) {
            break;
        }
        if (d->hashes[v - 1] == h && entry_equals(d, v - 1, s, len)) {
            *code = v - 1;
            return PKH_OK;
        }
    }
    if (d->size >= INT32_MAX - 1) {
        return PKH_EOVERFLOW;
    }
    const size_t old_mask = d->slot_mask;
    const pkh_status st = reserve(d, len);
    if (st != PKH_OK) {
        return st;
    }
    if (d->slot_mask != old_mask) {
        i = h & d->slot_mask;
        while (d->slots[i] != 0) {
            i = (i + 1) & d->slot_mask;
        }
    }
    const int32_t c = (int32_t)d->size;
    if (len > 0) {
        memcpy(d->data + d->data_len, s, len);
    }
    d->data_len += len;
    d->hashes[c] = h;
    d->offsets[c + 1] = (int64_t)d->data_len;
    d->slots[i] = c + 1;
    d->size++;
    *code = c;
    return PKH_OK;
}

pkh_status pkh__dict_move_to_column(pkh__dict *d, pkh_column *c)
{
    c->type = PKH_TYPE_DICT;
    c->dict_size = d->size;
    c->dict_offsets = d->offsets;
    c->dict_offsets_bytes = d->offsets_cap * sizeof *d->offsets;
    c->dict_data = d->data;
    c->dict_data_bytes = d->data_cap;
    d->offsets = NULL;
    d->data = NULL;
    d->offsets_cap = 0;
    d->data_cap = 0;
    pkh__dict_free(d);
    return PKH_OK;
}

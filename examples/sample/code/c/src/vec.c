/* SPDX-License-Identifier: Apache-2.0 */
#include "vec.h"

#include <stdlib.h>
#include <string.h>

void str_vec_init(str_vec *v)
{
    v->items = NULL;
    v->len = 0;
    v->cap = 0;
}

int str_vec_push(str_vec *v, const char *s)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        char **items = realloc(v->items, cap * sizeof *items);
        if (items == NULL)
            return -1;
        v->items = items;
        v->cap = cap;
    }
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy == NULL)
        return -1;
    memcpy(copy, s, n);
    v->items[v->len++] = copy;
    return 0;
}

const char *str_vec_get(const str_vec *v, size_t i)
{
    return i < v->len ? v->items[i] : NULL;
}

static int compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void str_vec_sort(str_vec *v)
{
    if (v->len > 1)
        qsort(v->items, v->len, sizeof *v->items, compare);
}

void str_vec_free(str_vec *v)
{
    for (size_t i = 0; i < v->len; i++)
        free(v->items[i]);
    free(v->items);
    str_vec_init(v);
}

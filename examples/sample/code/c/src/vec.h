/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EXAMPLE_VEC_H
#define EXAMPLE_VEC_H

#include <stddef.h>

/* A growable array of strings that owns copies of what it holds. */
typedef struct {
    char **items;
    size_t len;
    size_t cap;
} str_vec;

void str_vec_init(str_vec *v);
int str_vec_push(str_vec *v, const char *s); /* returns 0 on success, -1 on allocation failure */
const char *str_vec_get(const str_vec *v, size_t i);
void str_vec_sort(str_vec *v);
void str_vec_free(str_vec *v);

#endif /* EXAMPLE_VEC_H */

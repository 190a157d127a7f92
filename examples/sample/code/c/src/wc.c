/* SPDX-License-Identifier: Apache-2.0 */
/* wc: counts lines, words and bytes, and lists the distinct words in order. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "vec.h"

#define MAX_WORD 128

static int count_stream(FILE *in, str_vec *words, size_t counts[3])
{
    char word[MAX_WORD];
    size_t wlen = 0;
    int c;

    while ((c = fgetc(in)) != EOF) {
        counts[2]++;
        if (c == '\n')
            counts[0]++;
        if (isalnum(c) || c == '\'' || c >= 0x80) {
            if (wlen < MAX_WORD - 1)
                word[wlen++] = (char)tolower(c);
            continue;
        }
        if (wlen > 0) {
            word[wlen] = '\0';
            counts[1]++;
            if (str_vec_push(words, word) != 0)
                return -1;
            wlen = 0;
        }
    }
    if (wlen > 0) {
        word[wlen] = '\0';
        counts[1]++;
        if (str_vec_push(words, word) != 0)
            return -1;
    }
    return ferror(in) ? -1 : 0;
}

int main(int argc, char **argv)
{
    str_vec words;
    size_t counts[3] = {0, 0, 0};
    FILE *in = stdin;

    if (argc > 1 && (in = fopen(argv[1], "rb")) == NULL) {
        perror(argv[1]);
        return 1;
    }
    str_vec_init(&words);
    if (count_stream(in, &words, counts) != 0) {
        fprintf(stderr, "wc: read or allocation error\n");
        str_vec_free(&words);
        return 1;
    }
    if (in != stdin)
        fclose(in);

    printf("%zu lines, %zu words, %zu bytes\n", counts[0], counts[1], counts[2]);
    str_vec_sort(&words);
    for (size_t i = 0; i < words.len; i++) {
        if (i == 0 || strcmp(words.items[i], words.items[i - 1]) != 0)
            printf("%s\n", words.items[i]);
    }
    str_vec_free(&words);
    return 0;
}

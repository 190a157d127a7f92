<?php
// SPDX-License-Identifier: Apache-2.0
declare(strict_types=1);

/**
 * Turns a title into a URL slug: "Crème Brûlée & Tea!" becomes "creme-brulee-tea".
 */
function slugify(string $title, string $separator = '-', int $maxLength = 80): string
{
    $ascii = iconv('UTF-8', 'ASCII//TRANSLIT//IGNORE', $title);
    if ($ascii === false) {
        $ascii = $title;
    }
    $slug = strtolower($ascii);
    $slug = preg_replace('/[^a-z0-9]+/', $separator, $slug) ?? '';
    $slug = trim($slug, $separator);
    if (strlen($slug) > $maxLength) {
        $slug = rtrim(substr($slug, 0, $maxLength), $separator);
    }
    return $slug === '' ? 'untitled' : $slug;
}

/**
 * Makes a slug unique among those already taken by appending -2, -3, ...
 *
 * @param array<string, bool> $taken
 */
function uniqueSlug(string $title, array &$taken): string
{
    $base = slugify($title);
    $slug = $base;
    for ($n = 2; isset($taken[$slug]); $n++) {
        $slug = $base . '-' . $n;
    }
    $taken[$slug] = true;
    return $slug;
}

if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__) {
    $taken = [];
    foreach (array_slice($argv, 1) as $title) {
        echo uniqueSlug($title, $taken), PHP_EOL;
    }
}

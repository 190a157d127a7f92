<?php
// SPDX-License-Identifier: Apache-2.0
declare(strict_types=1);

namespace Example\Http;

/**
 * A tiny router: maps a method and a path pattern such as /posts/{id} to a handler.
 */
final class Router
{
    /** @var array<int, array{string, string, callable}> */
    private array $routes = [];

    public function get(string $pattern, callable $handler): void
    {
        $this->add('GET', $pattern, $handler);
    }

    public function post(string $pattern, callable $handler): void
    {
        $this->add('POST', $pattern, $handler);
    }

    public function add(string $method, string $pattern, callable $handler): void
    {
        $regex = preg_replace('#\{([a-z_][a-z0-9_]*)\}#i', '(?P<$1>[^/]+)', $pattern);
        $this->routes[] = [strtoupper($method), '#^' . $regex . '$#', $handler];
    }

    /**
     * Calls the first matching handler and returns its response body.
     */
    public function dispatch(string $method, string $uri): string
    {
        $path = parse_url($uri, PHP_URL_PATH) ?: '/';
        $allowed = [];
        foreach ($this->routes as [$routeMethod, $regex, $handler]) {
            if (!preg_match($regex, $path, $matches)) {
                continue;
            }
            if ($routeMethod !== strtoupper($method)) {
                $allowed[] = $routeMethod;
                continue;
            }
            $params = array_filter($matches, 'is_string', ARRAY_FILTER_USE_KEY);
            return (string) $handler($params);
        }
        if ($allowed !== []) {
            http_response_code(405);
            header('Allow: ' . implode(', ', array_unique($allowed)));
            return 'Method Not Allowed';
        }
        http_response_code(404);
        return 'Not Found';
    }
}

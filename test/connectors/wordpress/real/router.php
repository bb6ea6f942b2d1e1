<?php
// PHP's built-in server as WordPress's web server: a file (or a folder with index.php) is served
// as is; any other path runs index.php, as Apache's rewrite rules for WordPress would.
$root = $_SERVER['DOCUMENT_ROOT'];
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
$target = $root . $path;
if (is_file($target) || (is_dir($target) && is_file(rtrim($target, '/') . '/index.php'))) {
    return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
require $root . '/index.php';

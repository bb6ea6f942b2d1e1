<?php
// Run by PHP's CLI in a copy of WordPress: installs the site and prints JSON on stdout.
//   php setup.php install <admin password>    the site, an administrator and a contributor, with application passwords
//   php setup.php permalinks pretty|plain
// Everything else WordPress prints (notices) goes to stderr.
define('WP_INSTALLING', $argv[1] === 'install');
$_SERVER['HTTP_HOST'] = parse_url(getenv('WP_TEST_SITE_URL'), PHP_URL_HOST) . ':' . parse_url(getenv('WP_TEST_SITE_URL'), PHP_URL_PORT);
ob_start();
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

function out($value) {
    fwrite(STDERR, ob_get_clean());
    echo json_encode($value), "\n";
    exit(0);
}

if ($argv[1] === 'install') {
    $password = $argv[2];
    $installed = wp_install('vidhook test site', 'admin', 'admin@example.test', true, '', wp_slash($password));
    switch_theme('twentytwentyone');
    $users = ['admin' => ['id' => $installed['user_id'], 'role' => 'administrator']];
    foreach (['contributor'] as $role) {
        $id = wp_insert_user(['user_login' => $role, 'user_pass' => $password, 'user_email' => "$role@example.test", 'role' => $role]);
        if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message()); exit(1); }
        $users[$role] = ['id' => $id, 'role' => $role];
    }
    foreach ($users as $login => $user) {
        [$app] = WP_Application_Passwords::create_new_application_password($user['id'], ['name' => 'vidhook']);
        $users[$login]['appPassword'] = WP_Application_Passwords::chunk_password($app);
    }
    out(['users' => $users]);
}
if ($argv[1] === 'permalinks') {
    global $wp_rewrite;
    $wp_rewrite->set_permalink_structure($argv[2] === 'pretty' ? '/%postname%/' : '');
    flush_rewrite_rules();
    out(['permalinks' => $argv[2]]);
}
fwrite(STDERR, "unknown command\n");
exit(2);

"""A throw-away WordPress site for the tests: database, docroot, configuration, provisioning.

The Debian ``wordpress`` package keeps the code in ``/usr/share/wordpress`` and a
``wp-config.php`` that only reads ``/etc/wordpress/config-<host>.php``. To leave ``/etc`` alone,
each test session builds a docroot of symbolic links over the package with its own
``wp-config.php`` and ``wp-content``, and a router for ``php -S`` that defines ``ABSPATH`` first:
PHP resolves ``__DIR__`` through the links, so without it every entry script would load
Debian's configuration again. The database is a fresh one (and its own user) on the MariaDB
server that already runs on 127.0.0.1:3306; it is dropped when the session ends.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import string
import subprocess
from dataclasses import dataclass
from pathlib import Path

WORDPRESS_DIR = Path(os.environ.get("HUB_WORDPRESS_DIR", "/usr/share/wordpress"))
THEMES_DIR = WORDPRESS_DIR / "wp-content" / "themes"
MARIADB_HOST = os.environ.get("HUB_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("HUB_MARIADB_PORT", "3306"))
MARIADB_ROOT = os.environ.get("HUB_MARIADB_USER", "root")
MARIADB_ROOT_PASSWORD = os.environ.get("HUB_MARIADB_PASSWORD", "")


@dataclass(frozen=True)
class Account:
    """A WordPress user the tests log in as (password and application password in clear)."""

    username: str
    password: str
    app_password: str
    role: str


@dataclass(frozen=True)
class Site:
    url: str
    docroot: Path
    database: str
    admin: Account
    author: Account
    publisher: Account

    @property
    def rest(self) -> str:
        return f"{self.url}/wp-json/wp/v2"

    @property
    def xmlrpc(self) -> str:
        return f"{self.url}/xmlrpc.php"


def _token(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def new_accounts() -> tuple[Account, Account, Account]:
    """An administrator, an author (publishes posts, no pages) and a publisher: every right
    the hub needs except ``unfiltered_html``, so WordPress filters the HTML it saves."""
    admin = Account("hubadmin", _token(20), _token(24), "administrator")
    author = Account("hubauthor", _token(20), _token(24), "author")
    publisher = Account("hubpublisher", _token(20), _token(24), "hub_publisher")
    return admin, author, publisher


def php(code: str, *, cwd: Path | None = None, timeout: float = 120) -> str:
    """Run a PHP script with php-cli; its stdout, or RuntimeError with its output."""
    done = subprocess.run(
        ["php", "-d", "display_errors=stderr", "-r", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"php failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _php_str(value: str) -> str:
    """A PHP string literal: a JSON string is a PHP double-quoted one once ``$`` is escaped."""
    return json.dumps(value).replace("$", "\\$")


def _sql(statements: list[str]) -> str:
    host, port = _php_str(MARIADB_HOST), MARIADB_PORT
    user, password = _php_str(MARIADB_ROOT), _php_str(MARIADB_ROOT_PASSWORD)
    body = "\n".join(f"$db->query({_php_str(s)}) or die($db->error);" for s in statements)
    return php(
        "mysqli_report(MYSQLI_REPORT_OFF);"
        f"$db = @new mysqli({host}, {user}, {password}, '', {port});"
        "if ($db->connect_errno) { fwrite(STDERR, $db->connect_error); exit(3); }"
        f"{body} echo 'ok';"
    )


def mariadb_reachable() -> str | None:
    """None when the root account can connect, else why not."""
    try:
        _sql(["SELECT 1"])
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        return str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
    return None


def create_database(name: str, password: str) -> None:
    _sql(
        [
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            f"CREATE USER '{name}'@'localhost' IDENTIFIED BY '{password}'",
            f"CREATE USER '{name}'@'127.0.0.1' IDENTIFIED BY '{password}'",
            f"GRANT ALL ON `{name}`.* TO '{name}'@'localhost'",
            f"GRANT ALL ON `{name}`.* TO '{name}'@'127.0.0.1'",
        ]
    )


def drop_database(name: str) -> None:
    _sql(
        [
            f"DROP DATABASE IF EXISTS `{name}`",
            f"DROP USER IF EXISTS '{name}'@'localhost'",
            f"DROP USER IF EXISTS '{name}'@'127.0.0.1'",
        ]
    )


WP_CONFIG = """<?php
// Test site configuration (generated; never used outside the test session).
define('DB_NAME', {db_name});
define('DB_USER', {db_user});
define('DB_PASSWORD', {db_password});
define('DB_HOST', {db_host});
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';
{salts}
define('WP_HOME', {url});
define('WP_SITEURL', {url});
define('WP_CONTENT_DIR', {content_dir});
define('WP_CONTENT_URL', {content_url});
// Application passwords need HTTPS unless the environment is "local".
define('WP_ENVIRONMENT_TYPE', 'local');
// No internet here: fail fast instead of waiting on api.wordpress.org.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_DEBUG', false);
if (!defined('ABSPATH')) {{ define('ABSPATH', {docroot}); }}
require_once ABSPATH . 'wp-settings.php';
"""

# php -S calls the router for every request. Static files are served as they are; PHP entry
# points run from the docroot (with ABSPATH set to it); anything else is a pretty permalink.
ROUTER = """<?php
define('ABSPATH', {docroot});
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$file = realpath(ABSPATH . ltrim(urldecode($path), '/'));
if ($file !== false && is_dir($file) && is_file($file . '/index.php')) {{
    $file = $file . '/index.php';
}}
if ($file !== false && is_file($file) && substr($file, -4) !== '.php') {{
    return false;
}}
$script = ABSPATH . ltrim(urldecode($path), '/');
if (is_dir($script)) {{ $script = rtrim($script, '/') . '/index.php'; }}
if (substr($script, -4) === '.php' && is_file($script)) {{
    $_SERVER['SCRIPT_NAME'] = '/' . ltrim(substr($script, strlen(ABSPATH)), '/');
    $_SERVER['SCRIPT_FILENAME'] = $script;
    $_SERVER['PHP_SELF'] = $_SERVER['SCRIPT_NAME'];
    chdir(dirname($script));
    require $script;
    return true;
}}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = ABSPATH . 'index.php';
$_SERVER['PHP_SELF'] = '/index.php';
chdir(ABSPATH);
require ABSPATH . 'index.php';
"""

# Runs once with php-cli: installs the site, pretty permalinks (so /wp-json/ routes work), the
# users and an application password of a known value for each (stored hashed in user meta,
# as WordPress does). WordPress only checks application passwords once the network option
# "using_application_passwords" is set, so it is set too.
PROVISION = """
define('ABSPATH', {docroot});
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = {host};
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
require ABSPATH . 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$result = wp_install('Commons Hub test site', {admin_user}, 'admin@example.invalid',
                     false, '', {admin_password});
update_option('permalink_structure', '/%postname%/');
update_option('blogdescription', '');
add_role('hub_publisher', 'Hub publisher', array_fill_keys(array('read', 'edit_pages',
    'publish_pages', 'edit_published_pages', 'edit_others_pages', 'edit_posts', 'publish_posts',
    'edit_published_posts'), true));
$accounts = json_decode({accounts}, true);
foreach ($accounts as $account) {{
    $user = get_user_by('login', $account['username']);
    $id = $user ? $user->ID : wp_insert_user(array(
        'user_login' => $account['username'], 'user_pass' => $account['password'],
        'user_email' => $account['username'] . '@example.invalid', 'role' => $account['role']));
    if (is_wp_error($id)) {{ fwrite(STDERR, $id->get_error_message()); exit(4); }}
    update_user_meta($id, '_application_passwords', array(array(
        'uuid' => wp_generate_uuid4(), 'app_id' => '', 'name' => 'commons-hub',
        'password' => wp_hash_password($account['app_password']), 'created' => time(),
        'last_used' => null, 'last_ip' => null)));
}}
update_network_option(get_main_network_id(), 'using_application_passwords', true);
flush_rewrite_rules(false);
echo 'provisioned';
"""


def build_docroot(root: Path, *, url: str, db_name: str, db_password: str) -> Path:
    """A docroot of links over the packaged WordPress with our own configuration."""
    docroot = root / "www"
    docroot.mkdir(parents=True)
    for entry in WORDPRESS_DIR.iterdir():
        if entry.name in ("wp-config.php", "wp-content", ".htaccess"):
            continue
        (docroot / entry.name).symlink_to(entry)
    content = docroot / "wp-content"
    (content / "plugins").mkdir(parents=True)
    (content / "uploads").mkdir()
    (content / "mu-plugins").mkdir()
    if THEMES_DIR.is_dir():
        (content / "themes").symlink_to(THEMES_DIR)
    else:
        (content / "themes").mkdir()
    root_literal = _php_str(str(docroot) + "/")
    salts = "\n".join(
        f"define('{key}', {_php_str(_token(64))});"
        for key in (
            "AUTH_KEY",
            "SECURE_AUTH_KEY",
            "LOGGED_IN_KEY",
            "NONCE_KEY",
            "AUTH_SALT",
            "SECURE_AUTH_SALT",
            "LOGGED_IN_SALT",
            "NONCE_SALT",
        )
    )
    (docroot / "wp-config.php").write_text(
        WP_CONFIG.format(
            db_name=_php_str(db_name),
            db_user=_php_str(db_name),
            db_password=_php_str(db_password),
            db_host=_php_str(f"{MARIADB_HOST}:{MARIADB_PORT}"),
            salts=salts,
            url=_php_str(url),
            content_dir=_php_str(str(content)),
            content_url=_php_str(url + "/wp-content"),
            docroot=root_literal,
        ),
        encoding="utf-8",
    )
    (root / "router.php").write_text(ROUTER.format(docroot=root_literal), encoding="utf-8")
    return docroot


def provision(docroot: Path, *, host: str, accounts: tuple[Account, ...]) -> None:
    admin = accounts[0]
    out = php(
        PROVISION.format(
            docroot=_php_str(str(docroot) + "/"),
            host=_php_str(host),
            admin_user=_php_str(admin.username),
            admin_password=_php_str(admin.password),
            accounts=_php_str(json.dumps([a.__dict__ for a in accounts])),
        ),
        cwd=docroot,
    )
    if "provisioned" not in out:
        raise RuntimeError(f"WordPress provisioning said: {out[-2000:]}")


def missing_requirements() -> str | None:
    """Why a WordPress site cannot be built here, or None."""
    if shutil.which("php") is None:
        return "php-cli is not installed"
    if not (WORDPRESS_DIR / "wp-load.php").is_file():
        return f"the wordpress package is not installed ({WORDPRESS_DIR} missing)"
    try:
        php("foreach (['mysqli','xml','mbstring'] as $e) if (!extension_loaded($e)) exit(5);")
    except RuntimeError:
        return "a PHP extension is missing (php-mysql, php-xml, php-mbstring)"
    return mariadb_reachable()

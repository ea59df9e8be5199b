-- The state store's schema on SQLite, as the migrations create it (sync/sqlite_schema.py).
-- Written by `python -m sync.sqlite_schema`; tests/engine/test_sqlite_schema.py compares.
-- head: 0005
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE meta (
	"key" VARCHAR(100) NOT NULL, 
	value JSON, 
	PRIMARY KEY ("key")
);
CREATE TABLE sessions (
	id VARCHAR(200) NOT NULL, 
	record JSON, 
	hash VARCHAR(64), 
	seq INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_sessions_seq ON sessions (seq);
CREATE TABLE published (
	id VARCHAR(200) NOT NULL, 
	record JSON NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE links (
	connector VARCHAR(100) NOT NULL, 
	collection VARCHAR(200) NOT NULL, 
	"key" VARCHAR(200) NOT NULL, 
	remote_id TEXT, 
	remote_version TEXT, 
	pushed_hash VARCHAR(64), 
	seen_hash VARCHAR(64), 
	base JSON, 
	sequence INTEGER NOT NULL, 
	PRIMARY KEY (connector, collection, "key")
);
CREATE TABLE cursors (
	connector VARCHAR(100) NOT NULL, 
	collection VARCHAR(200) NOT NULL, 
	token TEXT, 
	synced_seq INTEGER NOT NULL, 
	updated_at DATETIME, 
	PRIMARY KEY (connector, collection)
);
CREATE TABLE changes (
	seq INTEGER NOT NULL, 
	session VARCHAR(200) NOT NULL, 
	field VARCHAR(50) NOT NULL, 
	old JSON, 
	new JSON, 
	origin VARCHAR(100) NOT NULL, 
	at DATETIME NOT NULL, sync INTEGER, 
	PRIMARY KEY (seq)
);
CREATE INDEX ix_changes_session ON changes (session);
CREATE TABLE conflicts (
	id INTEGER NOT NULL, 
	session VARCHAR(200) NOT NULL, 
	field VARCHAR(50) NOT NULL, 
	connector VARCHAR(100) NOT NULL, 
	base JSON, 
	ours JSON, 
	theirs JSON, 
	state VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	resolved_at DATETIME, 
	PRIMARY KEY (id)
);
CREATE TABLE outbox (
	id INTEGER NOT NULL, 
	idem_key VARCHAR(64) NOT NULL, 
	connector VARCHAR(100) NOT NULL, 
	target VARCHAR(200) NOT NULL, 
	op VARCHAR(20) NOT NULL, 
	"key" VARCHAR(200) NOT NULL, 
	payload JSON, 
	state VARCHAR(20) NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_at FLOAT NOT NULL, 
	remote_ref TEXT, 
	error TEXT, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (idem_key)
);
CREATE INDEX ix_outbox_connector ON outbox (connector);
CREATE INDEX ix_outbox_state ON outbox (state);
CREATE TABLE inbox (
	connector VARCHAR(100) NOT NULL, 
	update_id VARCHAR(100) NOT NULL, 
	payload JSON NOT NULL, 
	processed INTEGER NOT NULL, 
	PRIMARY KEY (connector, update_id)
);
CREATE TABLE breakers (
	connector VARCHAR(100) NOT NULL, 
	reason TEXT NOT NULL, 
	opened_at DATETIME NOT NULL, 
	PRIMARY KEY (connector)
);
CREATE TABLE connector_state (
	connector VARCHAR(100) NOT NULL, 
	"key" VARCHAR(200) NOT NULL, 
	value JSON NOT NULL, 
	PRIMARY KEY (connector, "key")
);
CREATE TABLE bot_follows (
	channel VARCHAR(100) NOT NULL, 
	person VARCHAR(200) NOT NULL, 
	session_id VARCHAR(200) NOT NULL, 
	lang VARCHAR(8) NOT NULL, 
	created_at DATETIME NOT NULL, 
	reminded_start VARCHAR(40), 
	PRIMARY KEY (channel, person, session_id)
);
CREATE INDEX ix_bot_follows_session ON bot_follows (session_id);
CREATE TABLE bot_contacts (
	channel VARCHAR(100) NOT NULL, 
	person VARCHAR(200) NOT NULL, 
	private_chat VARCHAR(200) NOT NULL, 
	first_seen DATETIME NOT NULL, 
	PRIMARY KEY (channel, person)
);
CREATE TABLE syncs (
	id INTEGER NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	note TEXT, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_changes_sync ON changes (sync);
CREATE INDEX ix_changes_origin_at ON changes (origin, at);
CREATE TABLE held (
	id INTEGER NOT NULL, 
	connector VARCHAR(100) NOT NULL, 
	state VARCHAR(20) NOT NULL, 
	reason VARCHAR(20) NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	summary JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_held_connector ON held (connector);
CREATE INDEX ix_held_state ON held (state);
CREATE TABLE sync_inputs (
	name VARCHAR(100) NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	PRIMARY KEY (name)
);

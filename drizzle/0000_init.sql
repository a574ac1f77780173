CREATE TABLE `attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer NOT NULL,
	`outcome` text NOT NULL,
	`error` text,
	`note` text,
	`response_status` integer,
	`response_body` text,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `attempts_event_id` ON `attempts` (`event_id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`provider` text NOT NULL,
	`type` text,
	`delivery_id` text,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`query` text DEFAULT '' NOT NULL,
	`headers` text NOT NULL,
	`body` blob,
	`client_ip` text,
	`received_at` integer NOT NULL,
	`occurred_at` integer,
	`status` text DEFAULT 'new' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`lease_until` integer,
	`processed_at` integer,
	`last_error` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_source_delivery_id` ON `events` (`source`,`delivery_id`);--> statement-breakpoint
CREATE INDEX `events_due` ON `events` (`next_attempt_at`) WHERE status = 'new';--> statement-breakpoint
CREATE INDEX `events_lease` ON `events` (`lease_until`) WHERE status = 'processing';--> statement-breakpoint
CREATE INDEX `events_source_status_id` ON `events` (`source`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `events_status_id` ON `events` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `rejections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`source` text NOT NULL,
	`client_ip` text,
	`status` integer NOT NULL,
	`reason` text NOT NULL,
	`hint` text
);
--> statement-breakpoint
CREATE INDEX `rejections_at` ON `rejections` (`at`);
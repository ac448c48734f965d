/**
 * YAML read into a small tree that remembers the line of every key and value, so that the rules
 * file and the controller's configuration can say which line and which key is wrong. Jackson's
 * tree model forgets locations; its streaming parser does not.
 */
package io.understudy.scheduler.yaml;

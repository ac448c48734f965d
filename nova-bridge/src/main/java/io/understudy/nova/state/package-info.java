/**
 * What Nova says is so: servers, compute services, migrations and instance actions, read back
 * after every action (an action is done when Nova's own records say so), each at a
 * microversion where the fields we rely on exist.
 */
package io.understudy.nova.state;

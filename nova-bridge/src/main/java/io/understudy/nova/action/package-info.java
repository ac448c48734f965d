/**
 * The changes the bridge makes in Nova, one class per action, each sending its request at the
 * microversion whose body it speaks. Following an action to its end reads {@code io.understudy.nova.state}.
 */
package io.understudy.nova.action;

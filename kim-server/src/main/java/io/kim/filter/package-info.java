/**
 * Sensitive-word filtering: {@link io.kim.filter.SensitiveWordFilter}, an Aho-Corasick
 * {@link io.kim.spi.ContentFilter} over a reloadable word list.
 */
package io.kim.filter;

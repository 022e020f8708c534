// Remove tag: takes one or more tags off the person's profile.
import { defineElement } from '../element.js';
import { tagElement } from './tags.js';

export default defineElement(tagElement('removeTag', 'removeTag', 'Remove tag', 'Removes tags from the person’s profile.', { tags: ['trial'] }));

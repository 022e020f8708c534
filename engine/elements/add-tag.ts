// Add tag: marks the person with one or more tags.
import { defineElement } from '../element.js';
import { tagElement } from './tags.js';

export default defineElement(tagElement('addTag', 'addTag', 'Add tag', 'Adds tags to the person’s profile.', { tags: ['welcomed'] }));

// Unit tests run without an extension to fetch the words from: install the English file, which is
// what every assertion on user-facing text expects.
import { setMessages } from '@/utils/i18n';
import en from '@/public/_locales/en/messages.json';

setMessages('en', en);

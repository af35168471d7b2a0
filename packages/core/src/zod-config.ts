import * as z from "zod/mini";
import { en } from "zod/v4/locales";

// zod/mini ships without messages (for bundle size); Sluice's errors are read by people, so
// load the English ones once, wherever a schema is defined.
z.config(en());

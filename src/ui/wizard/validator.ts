/**
 * The form validator: react-jsonschema-form's Ajv 8 validator on Ajv's draft 2020-12 class (the
 * dialect of catalog parameter schemas, as on the server), with envcat's annotation keywords known.
 */
import { customizeValidator } from '@rjsf/validator-ajv8';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ENVCAT_KEYWORDS } from '../../core/browser.js';

export const validator = customizeValidator({
  AjvClass: Ajv2020,
  extenderFn: (ajv) => {
    for (const keyword of ENVCAT_KEYWORDS) ajv.addKeyword(keyword);
    return ajv;
  },
});
